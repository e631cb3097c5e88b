/// A JSON object that keeps its members in the order they were written, so what we write back
/// reads like what came in. Objects in this protocol are small; lookup is a linear scan.
public struct JSONObject: Sendable, Equatable, Sequence {
    public private(set) var members: [(key: String, value: JSONValue)]

    public init() { members = [] }

    public init(_ pairs: [(String, JSONValue)]) {
        members = []
        members.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    /// The value of a member; with duplicate keys (which RFC 8259 leaves open) the last one wins.
    public subscript(key: String) -> JSONValue? {
        get {
            for member in members.reversed() where member.key == key { return member.value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    /// Sets each member of `other`: its keys replace these, the others stay (a config update).
    public mutating func merge(_ other: JSONObject) {
        for (key, value) in other { self[key] = value }
    }

    /// The members as given, duplicates included (the parser's: lookups take the last).
    init(uncheckedMembers: ArraySlice<(key: String, value: JSONValue)>) {
        members = Array(uncheckedMembers)
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    /// Equal when both name the same keys with equal values (for a duplicated key, its last
    /// value, as lookups see it); member order does not matter, as in JSON.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        let keys = Set(lhs.keys)
        guard keys == Set(rhs.keys) else { return false }
        return keys.allSatisfy { lhs[$0] == rhs[$0] }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}
