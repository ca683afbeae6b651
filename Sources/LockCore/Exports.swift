// Users import LockCore alone: the checker's vocabulary (LockClass, LockOption, Operation,
// LockHierarchy, LockOrderChecker.withChecking) comes with it.
@_exported import LockOrderChecker
