import AtomicFiles
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JSON as Python's `json.dump(obj, f)` writes it with its defaults, so that result files look like the
/// reference's: `", "` and `": "` separators, floats as `repr` (shortest round trip: Swift's `description`
/// is the same text), `NaN` / `Infinity` for non-finite numbers (numpy's corrcoef of a constant trajectory is NaN),
/// non-ASCII escaped (`ensure_ascii`). Objects keep the order they are given in.
public indirect enum PythonJSON: Sendable, Equatable {
    case number(Double)
    case string(String)
    case array([PythonJSON])
    case object([(String, PythonJSON)])

    public static func == (a: PythonJSON, b: PythonJSON) -> Bool { a.text == b.text }

    /// The serialised text.
    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .number(let v):
            if v.isNaN { out += "NaN" } else if v.isInfinite { out += v < 0 ? "-Infinity" : "Infinity" } else { out += v.description }
        case .string(let s):
            Self.quote(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += ", " }
                Self.quote(key, into: &out)
                out += ": "
                value.write(into: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: out += String(format: "\\u%04x", unit)
            }
        }
        out += "\""
    }

    /// Writes the text to `url` atomically: a temporary file in the same folder, flushed, then renamed over `url`.
    public func write(to url: URL) throws {
        try writeAtomically(Data(text.utf8), to: url)
    }
}

/// `data` into a temporary file next to `url`, fsync'ed, then renamed over `url` (`AtomicFile`): a reader sees the
/// old file or the new one, never a part. The temporary file is removed if anything fails.
func writeAtomically(_ data: Data, to url: URL) throws {
    do { try AtomicFile.write(data, to: url) } catch let failure as AtomicFile.Failure {
        throw EvaluationError.unwritable(path: url.path, reason: failure.reason)
    }
}
