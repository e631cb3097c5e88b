import CLibPQ
import Foundation

/// libpq's entry points, loaded on first use (see libpq_loader.h for why it is not linked).
struct LibPQ: @unchecked Sendable {
    let api: UnsafePointer<rc_libpq>

    /// The names tried: $RUNCLINIC_LIBPQ first, then the soname every distribution ships.
    private static let candidates: String = {
        var names = ["libpq.so.5", "libpq.so"]
        if let explicit = getenv("RUNCLINIC_LIBPQ").map({ String(cString: $0) }), !explicit.isEmpty {
            names.insert(explicit, at: 0)
        }
        return names.joined(separator: ":")
    }()

    static func load() throws(DatabaseError) -> LibPQ {
        var error: UnsafePointer<CChar>?
        guard let api = rc_libpq_load(candidates, &error) else {
            let detail = error.map { String(cString: $0) } ?? "unknown failure"
            throw DatabaseError(
                sqlState: nil,
                message:
                    "a PostgreSQL store needs libpq, PostgreSQL's client library (Debian and Ubuntu: apt-get install libpq5): \(detail)",
                sql: nil)
        }
        return LibPQ(api: api)
    }

    var p: rc_libpq { api.pointee }
}
