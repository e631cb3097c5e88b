import Foundation
import Logging
import RunclinicEngine
import RunclinicRPC
import RunclinicService

#if canImport(Glibc)
    import Glibc
#endif

/// How a serving process (`serve`, `ui`) ends: on SIGINT or SIGTERM, or when its caller says so,
/// what its connections already read is served and committed, alerts on their way get their
/// grace, the store is closed, then the process exits.
enum ServerStop {
    /// Watches the termination signals (block them first) and returns the stop to call on other
    /// ends; `first` runs before the rest (closing a listener).
    static func onSignals(
        configuration: ServerConfiguration, service: RunclinicService, store: RunStore, logger: Logger,
        first: @escaping @Sendable () -> Void = {}
    ) -> @Sendable (Int32) -> Never {
        let stopOnce = StopOnce()
        let stop: @Sendable (Int32) -> Never = { status in
            stopOnce.run {
                first()
                configuration.stopGate.stop(timeout: 10)
                service.finishDeliveries()
                store.close()
            }
            Glibc.exit(status)
        }
        SignalWatcher.watch { signal in
            logger.info("signal \(signal): committing and exiting")
            stop(0)
        }
        return stop
    }
}

/// The server stops from whichever thread sees the end first (a signal, stdin EOF, the socket
/// closing); the first one commits and closes, any other waits for it to exit the process.
final class StopOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var started = false

    func run(_ body: () -> Void) {
        lock.lock()
        if started {
            lock.unlock()
            while true { pause() }
        }
        started = true
        lock.unlock()
        body()
    }
}
