// Users import LockCore alone: the checker's vocabulary (LockClass, LockOption, ThreadOperation,
// LockHierarchy, LockOrder.withChecking) comes with it.
@_exported import LockOrderChecker
// The checked containers and contexts (CheckedArray, CheckedDictionary, CheckedContext).
@_exported import LockOrderContainers
