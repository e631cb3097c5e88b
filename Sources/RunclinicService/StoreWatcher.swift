import Foundation
import Logging
import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

/// Follows the store for connections that asked with `store.watch` (a dashboard): new points of
/// the runs on screen, new anomalies and actions, runs started, ending or moving on. It reads the
/// store, not the monitor, so it sees what trainers in other processes log to the same file.
/// One thread polls every `interval` while anyone watches; a watcher costs the trainers nothing.
final class StoreWatcher: @unchecked Sendable {
    struct Watch {
        let connection: ConnectionHandle
        /// Which `store.watch` call made it: a poll's progress is kept only if no later call
        /// replaced the watch meanwhile.
        let generation: Int
        var runs: [Int64: RunStore.PointPosition]
        /// The last anomaly and action row sent (nil: alerts are not watched).
        var alertCursors: (anomaly: Int64, action: Int64)?
        /// The run list as this connection was last told it (nil: not watched).
        var runStates: [Int64: RunState]?
    }

    private let store: RunStore
    private let interval: Double
    private let condition = NSCondition()
    private var watches: [Watch] = []
    private var started = false
    private var generations = 0
    private let logger = Logger(label: "runclinic.watch")
    /// Steps sent per run and poll: a run far behind catches up over a few polls.
    static let stepsPerPoll = 20_000
    static let eventsPerPoll = 1_000

    struct RunState: Equatable {
        let status: String
        let lastStep: Int64?
    }

    init(store: RunStore, interval: Double = 0.2) {
        self.store = store
        self.interval = interval
    }

    /// Replaces what the connection watches; returns where each run's points start from (the
    /// points after these positions will come as notifications).
    func watch(
        _ connection: ConnectionHandle, runs: [Int64], alerts: Bool, alertBacklog: Int, runList: Bool
    ) throws -> [Int64: RunStore.PointPosition] {
        var positions: [Int64: RunStore.PointPosition] = [:]
        for run in runs { positions[run] = try store.lastPointPosition(runID: run) ?? .start }
        var cursors: (anomaly: Int64, action: Int64)? = nil
        if alerts {
            cursors = (
                max(0, try store.lastEventID(.anomalies) - Int64(alertBacklog)),
                max(0, try store.lastEventID(.actions) - Int64(alertBacklog))
            )
        }
        condition.withLock {
            generations += 1
            // A connection that watched the run list already keeps what it was told.
            let told = watches.first { $0.connection === connection }?.runStates
            watches.removeAll { $0.connection === connection || $0.connection.isClosed }
            watches.append(
                Watch(
                    connection: connection, generation: generations, runs: positions, alertCursors: cursors,
                    runStates: runList ? (told ?? [:]) : nil))
            if !started {
                started = true
                let thread = Thread { [self] in loop() }
                thread.name = "runclinic-watch"
                thread.start()
            }
            condition.signal()
        }
        return positions
    }

    func unwatch(_ connection: ConnectionHandle) -> Bool {
        condition.withLock {
            let before = watches.count
            watches.removeAll { $0.connection === connection }
            return watches.count < before
        }
    }

    private func loop() {
        while true {
            condition.lock()
            watches.removeAll { $0.connection.isClosed }
            while watches.isEmpty { condition.wait() }
            let current = watches
            condition.unlock()
            do {
                try poll(current)
            } catch {
                logger.warning("watching the store: \(error)")
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    private func poll(_ current: [Watch]) throws {
        var updated: [Watch] = []
        // Read once for everyone: the events after the earliest cursor, the run list.
        let alertCursors = current.compactMap(\.alertCursors)
        var anomalies: [RunStore.StoredEvent] = []
        var actions: [RunStore.StoredEvent] = []
        if let earliestAnomaly = alertCursors.map(\.anomaly).min(),
            let earliestAction = alertCursors.map(\.action).min()
        {
            anomalies = try store.events(.anomalies, after: earliestAnomaly, limit: Self.eventsPerPoll)
            actions = try store.events(.actions, after: earliestAction, limit: Self.eventsPerPoll)
        }
        let runList = current.contains { $0.runStates != nil } ? try currentRuns() : []
        for var watch in current {
            for (runID, position) in watch.runs {
                let (points, next) = try store.points(runID: runID, after: position, limit: Self.stepsPerPoll)
                guard !points.isEmpty else { continue }
                watch.connection.send(Self.pointsNotification(runID: runID, points))
                watch.runs[runID] = next
            }
            if let cursors = watch.alertCursors {
                let newAnomalies = anomalies.filter { $0.id > cursors.anomaly }
                let newActions = actions.filter { $0.id > cursors.action }
                for alert in try alertNotifications(anomalies: newAnomalies, actions: newActions) {
                    watch.connection.send(alert)
                }
                watch.alertCursors = (newAnomalies.last?.id ?? cursors.anomaly, newActions.last?.id ?? cursors.action)
            }
            if let told = watch.runStates {
                let changed = runList.filter { told[$0.id] != $0.state }
                if !changed.isEmpty {
                    watch.connection.send(
                        OutgoingMessage.notification(
                            method: "store.runs", params: ["runs": .array(changed.map(\.json))]))
                }
                watch.runStates = Dictionary(uniqueKeysWithValues: runList.map { ($0.id, $0.state) })
            }
            updated.append(watch)
        }
        // A watch replaced meanwhile (a new store.watch) is left as it was asked.
        condition.withLock {
            for watch in updated {
                guard let index = watches.firstIndex(where: { $0.generation == watch.generation }) else { continue }
                watches[index] = watch
            }
        }
    }

    static func pointsNotification(runID: Int64, _ points: [RunStore.NewPoints]) -> JSONValue {
        OutgoingMessage.notification(
            method: "store.points",
            params: [
                "run_id": .int(runID),
                "points": .array(
                    points.map { point in
                        [
                            "attempt": .int(point.attempt), "step": .int(point.step), "time": .double(point.time),
                            "metrics": point.values.jsonObject,
                        ]
                    }),
            ])
    }

    /// One `store.alert` per run and step, like `monitor.alert`: the anomalies found there and the
    /// action advised.
    private func alertNotifications(anomalies: [RunStore.StoredEvent], actions: [RunStore.StoredEvent]) throws
        -> [JSONValue]
    {
        struct Key: Hashable {
            let run: Int64
            let step: Int64
        }
        var order: [Key] = []
        var found: [Key: [JSONValue]] = [:]
        var advised: [Key: JSONValue] = [:]
        for event in anomalies {
            let key = Key(run: event.runID, step: event.step)
            if found[key] == nil && advised[key] == nil { order.append(key) }
            found[key, default: []].append(event.detail)
        }
        for event in actions {
            let key = Key(run: event.runID, step: event.step)
            if found[key] == nil && advised[key] == nil { order.append(key) }
            advised[key] = event.detail
        }
        var names: [Int64: RunRecord] = [:]
        return try order.map { key in
            if names[key.run] == nil { names[key.run] = try store.run(.id(key.run)) }
            let run = names[key.run]!
            return OutgoingMessage.notification(
                method: "store.alert",
                params: [
                    "run": ["run_id": .int(run.id), "name": .string(run.name), "project": .string(run.project)],
                    "step": .int(key.step), "anomalies": .array(found[key] ?? []), "action": advised[key] ?? .null,
                ])
        }
    }

    struct ListedRun {
        let id: Int64
        let state: RunState
        let json: JSONValue
    }

    /// The run list as `run.list` shows it, each run with its last step. Finished runs log
    /// nothing more, so only running ones are asked for it again.
    private var lastSteps: [Int64: (status: String, step: Int64?)] = [:]

    private func currentRuns() throws -> [ListedRun] {
        var result: [ListedRun] = []
        var steps: [Int64: (status: String, step: Int64?)] = [:]
        for run in try store.listRuns(limit: 1000) {
            let status = run.status.rawValue
            let lastStep: Int64?
            if run.status != .running, let known = lastSteps[run.id], known.status == status {
                lastStep = known.step
            } else {
                lastStep = try store.lastPointPosition(runID: run.id).map(\.step)
            }
            steps[run.id] = (status, lastStep)
            var object = run.json.objectValue ?? [:]
            object["last_step"] = JSONValue(lastStep)
            result.append(
                ListedRun(id: run.id, state: RunState(status: status, lastStep: lastStep), json: .object(object)))
        }
        lastSteps = steps
        return result
    }
}
