import Foundation

/// Everything that can go wrong reading or writing a checkpoint, a safetensors file or a `.npy` array.
///
/// Every case names the file (as the caller spelled it) and the field inside it: a pickle opcode with its byte
/// offset (`data.pkl opcode 0x93 at byte 120`), a tensor (`tensor conv1_1.weight`), a header key. `description`
/// is the one line a user sees.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, read or written at the operating-system level.
    case io(file: String, reason: String)
    /// The leading bytes match no format this reader knows.
    case unknownFormat(file: String, found: String)
    /// The file ends before `field` does.
    case truncated(file: String, field: String, needed: Int, available: Int)
    /// `field` holds something other than what the format requires.
    case malformed(file: String, field: String, expected: String)
    /// A pickle names a global outside the allow-list (`module.name`); nothing was executed.
    case forbiddenGlobal(file: String, field: String, global: String)
    /// Valid for its format, but not something this reader handles (big-endian data, Fortran order, complex dtypes).
    case unsupported(file: String, field: String, feature: String)
    /// A declared size, count or depth beyond the reader's safety limits.
    case limitExceeded(file: String, field: String, limit: String)
    /// A tensor's size, offset or strides reach past the bytes its storage actually holds.
    case outOfBounds(file: String, tensor: String, expected: String)

    /// The file path as given by the caller.
    public var file: String {
        switch self {
        case .io(let f, _), .unknownFormat(let f, _), .truncated(let f, _, _, _), .malformed(let f, _, _),
             .forbiddenGlobal(let f, _, _), .unsupported(let f, _, _), .limitExceeded(let f, _, _),
             .outOfBounds(let f, _, _):
            return f
        }
    }

    public var description: String {
        switch self {
        case .io(let file, let reason):
            return "\(file): \(reason)"
        case .unknownFormat(let file, let found):
            return "\(file): not a checkpoint this reader knows (expected a PyTorch .pth zip or legacy file, "
                + "safetensors or .npy; found \(found))"
        case .truncated(let file, let field, let needed, let available):
            return "\(file): \(field): file is truncated (needs \(needed) bytes, \(available) left)"
        case .malformed(let file, let field, let expected):
            return "\(file): \(field): expected \(expected)"
        case .forbiddenGlobal(let file, let field, let global):
            return "\(file): global '\(global)' is not allowed in a checkpoint (only tensors and OrderedDict) [\(field)]"
        case .unsupported(let file, let field, let feature):
            return "\(file): \(field): \(feature) is not supported"
        case .limitExceeded(let file, let field, let limit):
            return "\(file): \(field): exceeds the reader's limit (\(limit))"
        case .outOfBounds(let file, let tensor, let expected):
            return "\(file): tensor \(tensor): \(expected)"
        }
    }
}

/// How a file is named in errors: the path as the caller spelled it.
func displayName(_ url: URL) -> String {
    url.isFileURL ? url.relativePath : url.absoluteString
}
