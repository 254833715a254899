import Foundation
import Yams

/// A MonoPix run configuration: the reference's flat YAML files (`configs/MonoPix_*.yaml`), typed and checked.
///
/// Absent keys take the reference's defaults; unknown keys are kept (and listed) rather than refused, because
/// users' configs carry experiment-specific extras.
public struct MonoPixConfig: Sendable {
    /// Where it came from, for error messages (`<defaults>` when built in code).
    public let source: String
    public private(set) var values: [String: ConfigValue]
    /// Keys present in the file that no option of ours or the reference's uses.
    public let unknownKeys: [String]

    /// The reference's defaults, with `overrides` applied (checked as if read from a file).
    public init(overrides: [String: ConfigValue] = [:], source: String = "<defaults>") throws {
        self.source = source
        var values = ConfigSchema.defaults
        var unknown: [String] = []
        for (key, value) in overrides {
            if let kind = ConfigSchema.kinds[key] {
                values[key] = try Self.convert(value, to: kind, key: key, source: source)
            } else {
                values[key] = value
                unknown.append(key)
            }
        }
        self.values = values
        self.unknownKeys = unknown.sorted()
    }

    /// Reads a YAML config file.
    /// Configs are a few KB; a file beyond this is refused before it is read.
    public static let maxFileBytes = 1 << 20

    public init(contentsOf url: URL) throws {
        let text: String
        if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int, size > Self.maxFileBytes {
            throw ConfigError.malformed(file: url.path, reason: "\(size) bytes; a config is a few KB, at most \(Self.maxFileBytes)")
        }
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(yaml: text, source: url.path)
    }

    public init(yaml text: String, source: String) throws {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError.malformed(file: source, reason: "\(error)")
        }
        guard let root = node else { try self.init(source: source); return }
        guard let mapping = root.mapping else {
            throw ConfigError.malformed(file: source, reason: "the top level must be a mapping of option: value")
        }
        var overrides: [String: ConfigValue] = [:]
        for (k, v) in mapping {
            guard let key = k.string else { throw ConfigError.malformed(file: source, reason: "a key is not a string") }
            overrides[key] = try Self.value(of: v, key: key, source: source)
        }
        try self.init(overrides: overrides, source: source)
    }

    /// A copy with some values replaced (command-line overrides).
    public func with(_ overrides: [String: ConfigValue]) throws -> MonoPixConfig {
        var merged = values.filter { ConfigSchema.defaults[$0.key] != $0.value || unknownKeys.contains($0.key) }
        for (k, v) in overrides { merged[k] = v }
        return try MonoPixConfig(overrides: merged, source: source)
    }

    // MARK: Typed access

    public func flag(_ key: String) -> Bool {
        switch values[key] {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        default: return false
        }
    }

    public func int(_ key: String) -> Int {
        switch values[key] {
        case .int(let i): return i
        case .double(let d) where d.isFinite: return Int(d)
        case .bool(let b): return b ? 1 : 0
        default: return 0
        }
    }

    public func number(_ key: String) -> Double {
        switch values[key] {
        case .double(let d): return d
        case .int(let i): return Double(i)
        case .bool(let b): return b ? 1 : 0
        default: return 0
        }
    }

    public func string(_ key: String) -> String {
        if case .string(let s)? = values[key] { return s }
        return values[key]?.description ?? ""
    }

    // MARK: Conversion

    private static func value(of node: Node, key: String, source: String) throws -> ConfigValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                if let i = Int(scalar.string) { return .int(i) }
                if let d = Double(scalar.string) { return .double(d) }
                switch scalar.string.lowercased() {
                case "true", "yes", "on": return .bool(true)
                case "false", "no", "off": return .bool(false)
                case "null", "~", "": return .string("")
                default: break
                }
            }
            return .string(scalar.string)
        case .sequence(let seq):
            // Scalars only: describing a nested node expanded every alias in it, so a 500-byte file of nested
            // aliases ("billion laughs") ran for minutes.
            return .list(try seq.map { item in
                guard let s = item.string else {
                    throw ConfigError.wrongType(file: source, key: key, expected: "a scalar or a list of scalars",
                                                found: "a list holding a list or a mapping")
                }
                return s
            })
        default:
            throw ConfigError.wrongType(file: source, key: key, expected: "a scalar or a list", found: "a mapping")
        }
    }

    private static func convert(_ value: ConfigValue, to kind: ConfigKind, key: String, source: String) throws -> ConfigValue {
        func wrong(_ expected: String) -> ConfigError {
            .wrongType(file: source, key: key, expected: expected, found: "'\(value)'")
        }
        switch (kind, value) {
        case (.flag, .bool): return value
        case (.flag, .int(let i)): return .bool(i != 0)
        case (.flag, .double(let d)): return .bool(d != 0)
        case (.flag, _): throw wrong("0, 1, true or false")
        case (.int, .int): return value
        case (.int, .double(let d)) where Int(exactly: d) != nil: return .int(Int(exactly: d)!)
        case (.int, _): throw wrong("an integer")
        case (.number, .int(let i)): return .double(Double(i))
        case (.number, .double): return value
        case (.number, .string(let s)) where s.lowercased() == "inf": return .double(.infinity)
        case (.number, _): throw wrong("a number")
        case (.string, .string): return value
        case (.string, .int), (.string, .double), (.string, .bool): return .string(value.description)
        case (.string, .list): throw wrong("a string")
        case (.list, .list): return value
        case (.list, _): return .list([value.description])
        }
    }
}

/// What can go wrong reading a config; each case names the file and, where it applies, the key.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case malformed(file: String, reason: String)
    case wrongType(file: String, key: String, expected: String, found: String)
    case unsupported(file: String, key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r): return "\(f): cannot read the config (\(r))"
        case .malformed(let f, let r): return "\(f): not a valid YAML config (\(r))"
        case .wrongType(let f, let k, let e, let found): return "\(f): key '\(k)' must be \(e), found \(found)"
        case .unsupported(let f, let k, let v, let e): return "\(f): key '\(k)' is '\(v)'; expected \(e)"
        }
    }
}
