import ArgumentParser
import Foundation
import Model

/// `monopix info CHECKPOINT`: tensors, parameter count and what the keys imply.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Describe a checkpoint (.pth or .safetensors).")

    @Argument(help: "The checkpoint.")
    var checkpoint: String

    @Flag(help: "List every tensor.")
    var tensors = false

    func run() throws {
        let sd = try StateDict.load(contentsOf: URL(fileURLWithPath: checkpoint))
        let parameters = sd.keys.filter { !$0.hasSuffix("running_mean") && !$0.hasSuffix("running_var") && !$0.hasSuffix("num_batches_tracked") }
            .reduce(0) { $0 + (sd[$1]?.values.count ?? 0) }
        print("\(checkpoint): \(sd.keys.count) tensors, \(parameters) parameters")
        print(ImpliedGeneratorOptions(sd))
        if tensors || sd.keys.count <= 12 {
            for k in sd.keys { if let t = sd[k] { print("  \(k)  \(t.dtype.rawValue) \(t.shape)") } }
        }
    }
}

/// `monopix convert IN OUT`: between PyTorch's .pth (zip; legacy read only) and safetensors, by OUT's extension.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a checkpoint: .pth ⇄ .safetensors (the .pth written is PyTorch's zip format, torch.load reads it).")

    @Argument(help: "The checkpoint to read.")
    var input: String

    @Argument(help: "The file to write: .safetensors or .pth.")
    var output: String

    func run() throws {
        let sd = try StateDict.load(contentsOf: URL(fileURLWithPath: input))
        let out = URL(fileURLWithPath: output)
        switch out.pathExtension.lowercased() {
        case "safetensors": try sd.write(to: out, format: .safetensors)
        case "pth", "pt": try sd.write(to: out, format: .pytorch)
        default: throw ValidationError("the output must end in .safetensors or .pth")
        }
        print("wrote \(output) (\(sd.keys.count) tensors)")
    }
}
