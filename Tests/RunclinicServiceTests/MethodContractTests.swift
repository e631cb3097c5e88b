import Foundation
import RunclinicEngine
import RunclinicJSON
import RunclinicRPC
import Testing

@testable import RunclinicService

/// The OpenRPC document is each method's one declaration: the server's positional order, the
/// params it refuses and those it requires come from it. These call the handlers in process.
@Suite final class MethodContractTests {
    let directory: URL
    let service: RunclinicService
    let registry: MethodRegistry

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "runclinic-service-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        service = RunclinicService(store: try RunStore(location: directory.appendingPathComponent("runs.db").path))
        registry = service.registry
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func call(_ method: String, _ params: JSONValue?) throws -> JSONValue {
        try registry.call(
            method, params: params, context: RequestContext(id: .int(1), method: method, connection: .detached()))
    }

    /// The ResponseError a call fails with (nil when it succeeds).
    func failure(_ method: String, _ params: JSONValue?) -> ResponseError? {
        do {
            _ = try call(method, params)
            return nil
        } catch {
            return error as? ResponseError
        }
    }

    @Test func everyDeclaredMethodIsAnsweredAndEveryAnsweredMethodIsDeclared() throws {
        #expect(registry.unansweredDeclarations.isEmpty)
        let declared = try MethodContract.all(fromOpenRPC: JSONParser.parse(PackageResources.openrpc_json))
        #expect(Set(declared.keys) == Set(registry.names))
        // LSP's progress token is a protocol field any request may carry, not a method's param.
        for contract in declared.values { #expect(!contract.paramNames.contains("workDoneToken"), "\(contract.name)") }
    }

    @Test func positionalParamsFollowTheDeclaredOrder() throws {
        _ = try call("run.start", .array(["positional", "team"]))
        // run.finish declares run, status, project: a third positional value is the project.
        let finished = try call("run.finish", .array(["positional", "finished", "team"]))
        #expect(finished["status"]?.stringValue == "finished")
        let values: [JSONValue] = (0..<40).map { .double($0 < 20 ? 0 : 5) }
        let steps: [JSONValue] = (0..<40).map { .int(Int64(1000 + $0)) }
        // analyze.change_points: values, model, penalty, min_segment, steps.
        let reply = try call("analyze.change_points", .array([.array(values), "mean", "mbic", 2, .array(steps)]))
        #expect(reply["steps"]?.arrayValue?.compactMap(\.intValue) == [1020])
        let tooMany = failure("run.get", .array(["a", "b", "c"]))
        #expect(tooMany?.code.rawValue == ErrorCode.invalidParams.rawValue)
        #expect(tooMany?.message.contains("run.get takes at most 2 positional params (run, project)") == true)
    }

    @Test func anUndeclaredParamIsRefusedWithTheNearestDeclaredOne() throws {
        _ = try call("run.start", ["name": "typo"])
        let error = try #require(failure("monitor.log", ["run": "typo", "stpe": 1, "step": 1, "metrics": ["loss": 1]]))
        #expect(error.code.rawValue == ErrorCode.invalidParams.rawValue)
        #expect(error.message.contains("stpe: unknown parameter of monitor.log, did you mean step?"))
        #expect(error.data?["suggestion"]?.stringValue == "step")
        #expect(failure("shutdown", ["now": true])?.message.contains("it takes no params") == true)
        // initialize takes whatever LSP peers send.
        _ = try call("initialize", ["processId": 1, "locale": "en", "trace": "off"])
    }

    @Test func aRequiredParamMissingOrNullIsRefusedByName() throws {
        let missing = try #require(failure("monitor.checkpoint", ["run": "x", "step": 3]))
        #expect(missing.message == "invalid params: path: is required")
        #expect(missing.data?["field"]?.stringValue == "path")
        let null = try #require(failure("run.start", ["name": .null]))
        #expect(null.message == "invalid params: name: is required")
    }
}
