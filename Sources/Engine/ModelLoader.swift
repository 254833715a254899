import Foundation
import Model

/// A generator together with the config it was built from and the file its weights came from.
public struct LoadedModel: Sendable {
    public let config: MonoPixConfig
    public let generator: Generator
    public let checkpoint: URL

    /// Reads the config and the checkpoint and builds the generator, checking every tensor name and shape.
    public init(config configURL: URL, checkpoint: URL) throws {
        let config = try MonoPixConfig(contentsOf: configURL)
        try self.init(config: config, checkpoint: checkpoint)
    }

    public init(config: MonoPixConfig, checkpoint: URL) throws {
        guard FileManager.default.fileExists(atPath: checkpoint.path) else {
            throw EngineError.missingFile(checkpoint.path, what: "checkpoint")
        }
        let options = try GeneratorOptions(config: config)
        let stateDict = try StateDict.load(contentsOf: checkpoint)
        self.config = config
        self.generator = try Generator(options: options, stateDict: stateDict, source: checkpoint.path)
        self.checkpoint = checkpoint
    }

    /// The reference's checkpoint naming: `{dir}/{epoch}_net_G_A.{safetensors|pth}` for AtoB, `G_B` for BtoA.
    public static func checkpoint(in directory: URL, epoch: String, direction: String) throws -> URL {
        let net: String
        switch direction {
        case "AtoB": net = "G_A"
        case "BtoA": net = "G_B"
        default: throw EngineError.invalidArgument("direction must be AtoB or BtoA, not '\(direction)'")
        }
        for ext in ["safetensors", "pth"] {
            let url = directory.appendingPathComponent("\(epoch)_net_\(net).\(ext)")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw EngineError.missingFile(directory.appendingPathComponent("\(epoch)_net_\(net).{safetensors,pth}").path,
                                      what: "checkpoint for epoch \(epoch), direction \(direction)")
    }
}

/// The engine's own errors; each renders as the one line a user reads.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case missingFile(String, what: String)
    case invalidArgument(String)
    case sizeMismatch(file: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .missingFile(let p, let what): return "\(p): no such \(what)"
        case .invalidArgument(let s): return s
        case .sizeMismatch(let f, let e, let found): return "\(f): size \(found), expected \(e)"
        }
    }
}
