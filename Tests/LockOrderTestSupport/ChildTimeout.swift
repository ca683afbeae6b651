#if canImport(Glibc)
    import Glibc
#endif

/// In a child process that might hang (an exit test's body, a forked child): ends it with
/// SIGALRM after `seconds`, so that a hang fails its test instead of stalling the suite.
/// SIGALRM is unblocked on the calling thread first: the test's thread may block it, and a
/// blocked alarm never fires.
public func endProcessIfStillRunning(afterSeconds seconds: UInt32) {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGALRM)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    signal(SIGALRM, SIG_DFL)
    alarm(seconds)
}
