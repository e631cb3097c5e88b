import RunclinicJSON
import Testing

@testable import RunclinicRPC

@Suite struct IncomingMessageTests {
    private func validate(_ text: String) throws -> Result<IncomingMessage, InvalidMessage> {
        IncomingMessage.validate(try JSONParser.parse(text))
    }

    @Test func requestsAndNotifications() throws {
        guard
            case .success(.request(let id, let method, let params)) = try validate(
                #"{"jsonrpc":"2.0","id":"x","method":"m","params":[1]}"#)
        else {
            Issue.record("not a request")
            return
        }
        #expect(id == "x" && method == "m" && params == [1])
        guard case .success(.notification("n", nil)) = try validate(#"{"jsonrpc":"2.0","method":"n","params":null}"#)
        else {
            Issue.record("not a notification")
            return
        }
    }

    @Test(arguments: [
        #"{"jsonrpc":"1.0","id":1,"method":"m"}"#, #"{"id":1,"method":"m"}"#, #"{"jsonrpc":"2.0","id":1,"method":3}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":"p"}"#, #"{"jsonrpc":"2.0","id":1}"#, "7",
    ])
    func invalidRequestsKeepTheirID(_ text: String) throws {
        guard case .failure(let invalid) = try validate(text) else {
            Issue.record("accepted \(text)")
            return
        }
        #expect(invalid.error.code == .invalidRequest)
        if text.contains("\"id\":1") { #expect(invalid.id == 1) }
    }

    @Test func anObjectIDIsRefusedWithANullID() throws {
        guard case .failure(let invalid) = try validate(#"{"jsonrpc":"2.0","id":{},"method":"m"}"#) else {
            Issue.record("accepted")
            return
        }
        #expect(invalid.id == .null)
    }

    @Test func paramsNameTheOffendingField() throws {
        let contract = MethodContract(
            name: "m", params: [.init(name: "step", required: false), .init(name: "metrics", required: false)])
        let params = try Params(["step": "ten", "metrics": ["loss": true]], contract: contract)
        #expect(throws: ResponseError.self) { try params.int("step") }
        do {
            _ = try params.int("step")
        } catch {
            #expect(error.message == #"invalid params: step: expected an integer, got string "ten""#)
            #expect(error.data?["field"] == "step")
        }
        let named = MethodContract(
            name: "m", params: [.init(name: "run", required: true), .init(name: "name", required: false)])
        let positional = try Params([1, "b"], contract: named)
        #expect(try positional.string("name") == "b")
        #expect(throws: ResponseError.self) { _ = try Params([1, 2, 3], contract: named) }
        #expect(throws: ResponseError.self) { _ = try Params(["name": "b"], contract: named) }
    }
}
