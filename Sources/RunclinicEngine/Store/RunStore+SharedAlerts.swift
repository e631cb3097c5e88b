import Foundation

/// Alerts shared between the servers of one PostgreSQL store (trainers on other machines): each
/// server sends its alerts on a LISTEN/NOTIFY channel, and listens for the others'. A SQLite store
/// has one machine's servers, which see each other's runs by reading the store.
extension RunStore {
    static let sharedAlertChannel = "runclinic_alerts"
    /// PostgreSQL refuses a notification's payload of 8000 bytes or more.
    public static let sharedAlertLimit = 7_900

    /// Whether alerts are shared between servers at all (a PostgreSQL store).
    public var sharesAlerts: Bool { location.isPostgreSQL }

    /// Sends `payload` to the other servers' listeners once what was logged with it is committed:
    /// with a deferred write it goes with the commit window, so an alert is never seen before its
    /// points. Does nothing on a SQLite store.
    public func shareAlert(_ payload: String, durability: Durability) throws {
        guard sharesAlerts else { return }
        let message = instanceID + "\n" + payload
        guard message.utf8.count < Self.sharedAlertLimit + instanceID.utf8.count + 1 else {
            throw EngineError.invalidArgument(field: "alert", reason: "is longer than \(Self.sharedAlertLimit) bytes")
        }
        try write { state in
            try state.beginIfNeeded()
            // Written with the logging call's own rows (not written again after a lost connection:
            // the subscribers were told, or missed it, at the time).
            try state.writeRow(
                TransactionReplay.Write(
                    sql: "SELECT pg_notify(?, ?)", values: [.text(Self.sharedAlertChannel), .text(message)]))
            try state.finish(durability, window: commitWindow)
        }
    }

    /// Calls `handler` with every alert another server shares, from a thread of the store's, from
    /// the first call on (later calls replace the handler). Does nothing on a SQLite store.
    public func onSharedAlert(_ handler: @escaping @Sendable (String) -> Void) {
        guard case .postgresql(let connectionString) = location else { return }
        sharedAlertHandler.withLock { current in
            let isFirst = current == nil
            current = handler
            guard isFirst else { return }
            let origin = instanceID + "\n"
            let listener = PostgreSQLListener(connectionString: connectionString, channel: Self.sharedAlertChannel) {
                [weak self] message in
                guard let self, !message.hasPrefix(origin), let newline = message.firstIndex(of: "\n") else { return }
                let payload = String(message[message.index(after: newline)...])
                self.sharedAlertHandler.withLock { $0 }?(payload)
            }
            sharedAlertListener.withLock { $0 = listener }
        }
    }
}
