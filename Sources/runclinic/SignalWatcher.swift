import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Turns SIGINT and SIGTERM into an orderly stop. The signals are blocked in every thread (call
/// `blockTerminationSignals` before starting any) and a dedicated thread waits for them, so the
/// handler can take locks and commit, which a signal handler may not.
enum SignalWatcher {
    static func blockTerminationSignals() {
        signal(SIGPIPE, SIG_IGN)
        var set = terminationSignals
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    static func watch(_ onSignal: @escaping @Sendable (Int32) -> Void) {
        let thread = Thread {
            var set = terminationSignals
            var received: Int32 = 0
            while sigwait(&set, &received) != 0 {}
            onSignal(received)
        }
        thread.name = "runclinic-signals"
        thread.start()
    }

    private static var terminationSignals: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}
