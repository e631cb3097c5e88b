import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    var lifecycleMethods: [MethodHandler] {
        let store = self.store
        return [
            // Optional: a script may call any method straight away.
            MethodHandler("initialize") { params, _ in
                [
                    "serverInfo": ["name": .string(Self.name), "version": .string(Self.version)],
                    "protocolVersion": "2.0",
                    "capabilities": [
                        "framings": ["content-length", "ndjson"],
                        "nonFiniteNumbers": true,
                        "notificationErrors": true,
                        "batches": true,
                        "cancelRequest": true,
                        "progress": true,
                        "methods": JSONValue(OpenRPCDocument.contracts.keys.sorted()),
                    ],
                    "store": [
                        "path": .string(store.location.description), "kind": .string(store.location.kind),
                        "commitWindowSeconds": .double(store.commitWindow),
                        "durability": .string(store.sync.rawValue),
                    ],
                ]
            },
            MethodHandler("shutdown") { _, _ in
                try store.flush()
                return .null
            },
            MethodHandler("rpc.discover") { _, _ in
                try OpenRPCDocument.json()
            },
        ]
    }
}
