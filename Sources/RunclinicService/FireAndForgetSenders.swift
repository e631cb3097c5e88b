import Foundation
import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

/// Who logged fire-and-forget points to each run, so that points the store accepted but could not
/// commit (a full disk) are reported to the clients that sent them: no reply ever said they were safe.
final class FireAndForgetSenders: @unchecked Sendable {
    private let lock = NSLock()
    private var senders: [Int64: [Int: ConnectionHandle]] = [:]

    func note(run: Int64, connection: ConnectionHandle) {
        lock.withLock {
            if senders[run]?[connection.id] == nil { senders[run, default: [:]][connection.id] = connection }
        }
    }

    /// Tells each run's senders (those that asked for `$/notificationError` at initialize) what was lost.
    func report(_ losses: [LostWrites]) {
        for lost in losses {
            let recipients = lock.withLock {
                senders[lost.runID] = senders[lost.runID]?.filter { !$0.value.isClosed }
                return Array(senders[lost.runID]?.values ?? [:].values)
            }
            let error = ResponseError(
                .storageFailure, lost.description,
                data: [
                    "run_id": .int(lost.runID), "points": .int(Int64(lost.points)),
                    "first_step": .int(lost.firstStep), "last_step": .int(lost.lastStep),
                    "reason": .string(lost.reason),
                ])
            for connection in recipients where connection.peer.wantsNotificationErrors {
                connection.send(
                    OutgoingMessage.notification(
                        method: "$/notificationError",
                        params: [
                            "method": "monitor.log", "error": error.json,
                        ]))
            }
        }
    }
}
