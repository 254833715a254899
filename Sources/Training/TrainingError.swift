/// What can stop a training run before its first step, or a checkpoint from loading; each case carries where the
/// problem is. `description` is the one line the user sees.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// The config names a model this trainer does not train.
    case unsupportedModel(file: String, model: String, supported: [String])
    /// An option the chosen model needs has a value we cannot use.
    case unsupportedOption(file: String, key: String, value: String, expected: String)
    /// A data folder does not exist (or is not a folder).
    case missingFolder(path: String, role: String)
    /// A data folder holds no PNG or JPEG file we could read.
    case emptyFolder(path: String, role: String, skipped: Int)
    /// A source image has no counterpart of the same name in the paired folder (`paired_target`).
    case missingPair(path: String, expected: String)
    /// A source image and its paired photo differ in size.
    case pairSizeMismatch(path: String, size: String, pairedSize: String)
    /// Every image of a folder failed to decode during training.
    case noReadableImages(path: String, skipped: Int)
    /// An .h5 training file (`h5file_path`, `--h5-file`) cannot be used as a whole: missing, not HDF5, damaged, no pairs.
    case h5File(path: String, reason: String)
    /// A dataset of an .h5 training file is missing or not what the reader expects (type, rank, shape, storage).
    case h5Dataset(path: String, dataset: String, found: String, expected: String)
    /// A checkpoint's tensors do not fit the network.
    case checkpointMismatch(file: String, missing: [String], unexpected: [String], shapes: [String])
    /// `--resume` found nothing to resume from, or a state that belongs to another run.
    case cannotResume(path: String, reason: String)
    /// A file the run needs could not be written.
    case cannotWrite(path: String, reason: String)
    /// VGG weights given by `vgg_path` could not be used.
    case vggWeights(path: String, reason: String)

    public var description: String {
        func list(_ names: [String]) -> String {
            names.prefix(6).joined(separator: ", ") + (names.count > 6 ? " and \(names.count - 6) more" : "")
        }
        switch self {
        case let .unsupportedModel(file, model, supported):
            return "\(file): model '\(model)' cannot be trained here; supported: \(supported.joined(separator: ", "))"
        case let .unsupportedOption(file, key, value, expected):
            return "\(file): key '\(key)' is '\(value)'; training needs \(expected)"
        case let .missingFolder(path, role):
            return "\(path): the \(role) folder does not exist"
        case let .emptyFolder(path, role, skipped):
            return "\(path): the \(role) folder has no PNG or JPEG images" + (skipped > 0 ? " (\(skipped) unreadable files skipped)" : "")
        case let .missingPair(path, expected):
            return "\(path): no paired photo: expected \(expected) (paired_target)"
        case let .pairSizeMismatch(path, size, pairedSize):
            return "\(path): is \(size) but its paired photo is \(pairedSize); the two must be pixel-aligned"
        case let .noReadableImages(path, skipped):
            return "\(path): none of the images could be decoded (\(skipped) skipped)"
        case let .h5File(path, reason):
            return "\(path): cannot train from this .h5 file: \(reason)"
        case let .h5Dataset(path, dataset, found, expected):
            return "\(path): dataset '\(dataset)': \(found == "missing" ? "is missing" : "is \(found)"); expected \(expected)"
        case let .checkpointMismatch(file, missing, unexpected, shapes):
            var parts: [String] = []
            if !shapes.isEmpty { parts.append("shape mismatch: " + shapes.prefix(4).joined(separator: "; ")) }
            if !missing.isEmpty { parts.append("missing \(list(missing))") }
            if !unexpected.isEmpty { parts.append("unexpected \(list(unexpected))") }
            return "\(file): checkpoint does not fit the network: " + parts.joined(separator: "; ")
        case let .cannotResume(path, reason):
            return "\(path): cannot resume: \(reason)"
        case let .cannotWrite(path, reason):
            return "\(path): cannot write: \(reason)"
        case let .vggWeights(path, reason):
            return "\(path): VGG16 weights unusable: \(reason)"
        }
    }
}
