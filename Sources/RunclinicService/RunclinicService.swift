import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

/// The runclinic API: every JSON-RPC method, mapped onto the engine.
public struct RunclinicService: Sendable {
    public static let name = "runclinic"
    public static let version = "0.1.0"

    public let store: RunStore
    public let monitor: TrainingMonitor
    let alerts = AlertHub()
    let notifier: AlertNotifier
    let fireAndForgetSenders = FireAndForgetSenders()
    let watcher: StoreWatcher
    /// The `audit:` section of `serve --config FILE`; a request's `thresholds` win.
    let auditDefaults: ImageQualityThresholds
    /// Where audits decode images; a server passes its worker processes (a decoder crash then costs
    /// a worker, not the server's live monitor state), shared by every request.
    let imageInspector: any ImageInspector

    /// `defaults`: the monitoring settings of `serve --config FILE` (runs' inline settings win).
    public init(
        store: RunStore, defaults: MonitorConfiguration = MonitorConfiguration(),
        auditDefaults: ImageQualityThresholds = ImageQualityThresholds(),
        imageInspector: any ImageInspector = InProcessImageInspector()
    ) {
        self.store = store
        self.auditDefaults = auditDefaults
        self.imageInspector = imageInspector
        monitor = TrainingMonitor(store: store, defaults: defaults)
        notifier = AlertNotifier(store: store)
        watcher = StoreWatcher(store: store)
        let senders = fireAndForgetSenders
        store.onLostWrites { losses in senders.report(losses) }
    }

    /// All methods, as the transports serve them and as schema/openrpc.json documents them.
    public var registry: MethodRegistry {
        var registry = MethodRegistry(contracts: OpenRPCDocument.contracts)
        for handler in lifecycleMethods + runMethods + monitorMethods + auditMethods + analyzeMethods + compareMethods
            + importMethods + storeMethods
        {
            registry.register(handler)
        }
        return registry
    }

    /// Before the store closes: alerts on their way to webhooks get up to `grace` seconds; those
    /// still undelivered are recorded in `alert_deliveries`.
    public func finishDeliveries(grace: Double = 2) {
        notifier.stop(grace: grace)
    }

    public func configuration(maximumMessageBytes: Int = ServerConfiguration.defaultMaximumMessageBytes)
        -> ServerConfiguration
    {
        ServerConfiguration(
            registry: registry, maximumMessageBytes: maximumMessageBytes,
            translateError: EngineErrorTranslation.responseError(for:))
    }
}
