/// What can go wrong loading LPIPS weights or evaluating a results folder. Every case names the file (as the
/// caller spelled it) and, for weights, the state-dict key; `description` is the one line a user sees.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A weights file lacks a tensor the network needs.
    case missingWeight(file: String, key: String, expected: String)
    /// A tensor exists but has the wrong shape.
    case badWeightShape(file: String, key: String, shape: [Int], expected: String)
    /// The image is smaller than AlexNet's receptive field chain admits (its pools need at least 3x3 inputs).
    case imageTooSmall(width: Int, height: Int, minimum: Int)
    /// Two images that must be compared have different sizes.
    case sizeMismatch(first: String, firstSize: String, second: String, secondSize: String)
    /// An image folder lacks some of the trajectory's files.
    case missingLevels(folder: String, files: [String])
    /// The results path is not a folder, or holds no image folders.
    case noImageFolders(path: String, reason: String)
    /// A result file could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingWeight(let file, let key, let expected):
            return "\(file): no tensor '\(key)' (\(expected))"
        case .badWeightShape(let file, let key, let shape, let expected):
            return "\(file): tensor '\(key)' has shape \(shape), expected \(expected)"
        case .imageTooSmall(let width, let height, let minimum):
            return "LPIPS (AlexNet) needs images of at least \(minimum)x\(minimum) pixels, got \(width)x\(height)"
        case .sizeMismatch(let first, let firstSize, let second, let secondSize):
            return "\(first) is \(firstSize) but \(second) is \(secondSize): images must have the same size"
        case .missingLevels(let folder, let files):
            let shown = files.prefix(4).joined(separator: ", ") + (files.count > 4 ? " and \(files.count - 4) more" : "")
            return "\(folder): missing \(shown) (expected levels 00..10 and the input 99, as "
                + "`monopix predict --inf-type exhaustive --n-search 10` writes them)"
        case .noImageFolders(let path, let reason):
            return "\(path): \(reason)"
        case .unwritable(let path, let reason):
            return "\(path): cannot write (\(reason))"
        }
    }
}
