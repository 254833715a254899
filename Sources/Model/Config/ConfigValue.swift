/// One value of a MonoPix configuration, typed the way the reference's argparse options are.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([String])

    public var description: String {
        switch self {
        case .bool(let b): return b ? "1" : "0"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .list(let l): return "[" + l.joined(separator: ", ") + "]"
        }
    }
}

/// The kind a key must have; YAML values are checked against it and converted.
enum ConfigKind: String, Sendable {
    /// A switch: the reference writes them as 0/1 ints in YAML and as store_true flags on its command line.
    case flag
    case int
    case number
    case string
    case list
}
