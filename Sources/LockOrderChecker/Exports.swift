// The hierarchy model is part of the checker's vocabulary (`LockHierarchy`, `LockOption`,
// `HierarchyException`...): users who import the checker (or LockCore) see it without a second
// import. The graph stays internal to the package (`package` access), so it is not re-exported.
@_exported import LockOrderHierarchy
