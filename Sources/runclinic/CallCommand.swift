#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import RunclinicJSON
import RunclinicRPC

/// One JSON-RPC call to a server on a Unix socket: what the shell client falls back to when
/// neither socat nor nc is installed.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Send one JSON-RPC request to a server's Unix socket and print the result.",
        discussion: "Prints the result as JSON on stdout; on an error prints it on stderr and exits with status 1."
    )

    @Option(help: ArgumentHelp("The server's Unix socket (runclinic serve --socket PATH).", valueName: "path"))
    var socket: String

    @Argument(help: "The method, e.g. run.list.")
    var method: String

    @Argument(help: "Params as a JSON object or array.")
    var params: String?

    func run() throws {
        var request: JSONObject = ["jsonrpc": "2.0", "id": 1, "method": .string(method)]
        if let params {
            do {
                request["params"] = try JSONParser.parse(params)
            } catch {
                throw ValidationError("params are not JSON: \(error)")
            }
        }
        let descriptor = try UnixSocketClient.connect(path: socket)
        defer { close(descriptor) }
        var line = JSONWriter.encode(.object(request))
        line.append(0x0A)
        guard ConnectionHandle.writeAll(line, to: descriptor) else {
            throw RuntimeFailure("cannot send to \(socket)")
        }
        guard let reply = UnixSocketClient.readLine(from: descriptor) else {
            throw RuntimeFailure("the server closed the connection without answering")
        }
        let message = try JSONParser.parse(reply)
        if let error = message["error"] {
            FileHandle.standardError.write(Data((JSONWriter.string(error) + "\n").utf8))
            throw ExitCode(1)
        }
        print(JSONWriter.string(message["result"] ?? .null))
    }
}
