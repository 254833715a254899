/// What can go wrong in the studio, with where; `message` is the one line the user sees.
public enum StudioError: Error, Equatable, CustomStringConvertible {
    case notATerminal
    case noImages(path: String)
    case io(path: String, reason: String)
    case format(what: String, reason: String)
    case maskSize(path: String, expected: String, found: String)
    case engineNotWired
    case pendingImageIO(what: String)

    public var description: String {
        switch self {
        case .notATerminal:
            return "needs an interactive terminal (stdin and stdout must be a tty)"
        case .noImages(let path):
            return "no PNG or JPEG images in \(path)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .format(let what, let reason):
            return "not a valid \(what) file: \(reason)"
        case .maskSize(let path, let expected, let found):
            return "\(path): the mask is \(found), the image \(expected)"
        case .engineNotWired:
            return "engine not wired yet"
        case .pendingImageIO(let what):
            return "\(what) needs the ImageIO module's codec, which is not merged yet"
        }
    }
}
