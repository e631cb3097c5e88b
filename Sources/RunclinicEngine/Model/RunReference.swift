/// How a caller names a run: its numeric id, or its name (unique within a project).
public enum RunReference: Sendable, Hashable, CustomStringConvertible {
    case id(Int64)
    case name(String, project: String?)

    public var description: String {
        switch self {
        case .id(let id): return "\(id)"
        case .name(let name, let project?): return "\(project)/\(name)"
        case .name(let name, nil): return name
        }
    }
}
