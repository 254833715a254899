import ArgumentParser
import Dispatch
import Engine
import Foundation
import ImageIO
import Kernels
import Model

/// `monopix bench trajectory`: an N-level trajectory of one image, inference only and end to end (PNG in, N+1 PNGs
/// out, as `predict --inf-type exhaustive` does), beside ONNX Runtime doing the same N inferences.
struct TrajectoryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trajectory",
        abstract: "Time an N-level trajectory of one image (full-width generator), against ONNX Runtime.")

    @Option(help: "Image size (square).")
    var size = 256

    @Option(help: "Levels in the trajectory.")
    var levels = 11

    @Flag(help: "Also run Benchmarks/peers.py --trajectory for ONNX Runtime.")
    var peers = false

    func run() throws {
        var options = GeneratorOptions()
        options.relativeControl = true
        let modulator = Modulator(generator: .random(options: options, seed: 42))
        let image = RGBImage(tensor: Kernels.tanh(standardNormal(Shape(n: 1, c: 3, h: size, w: size), seed: 3)))
        let lv = Levels.linspace(0, 1, count: levels)
        _ = try modulator.render(image, level: 0.5)  // warm-up (Winograd filters, BLAS buffers)
        let inference = min(try seconds { _ = try modulator.trajectory(image, levels: lv) }, try seconds { _ = try modulator.trajectory(image, levels: lv) })
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("image.png")
        try PNGFile.write(image, to: input)
        let layout = PredictionLayout(savePath: dir, name: "bench", tag: "", inferenceType: "exhaustive")
        let predictor = Predictor(modulator: modulator, layout: layout, mode: .exhaustive(lower: 0, higher: 1, count: levels))
        let endToEnd = try seconds { try predictor.process(input) }
        print(String(format: "%dx%d, %d levels: inference %.3f s (%.3f s per level), end to end %.3f s (PNG in, %d PNGs out)",
                     size, size, levels, inference, inference / Double(levels), endToEnd, levels + 1))
        guard peers else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "Benchmarks/peers.py", "--size", String(size), "--trajectory", String(levels),
                             "--threads", String(ThreadPolicy.workerCount)]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let frames = object["frames"] as? [[String: Any]],
              let ort = frames.first(where: { $0["trajectory"] != nil }), let t = ort["seconds"] as? Double else {
            print("peers: Benchmarks/peers.py gave no trajectory time (needs torch, onnx and onnxruntime)")
            return
        }
        print(String(format: "%@: %d inferences %.3f s; ours/theirs %.2fx (inference), %.2fx (end to end)",
                     (ort["peer"] as? String ?? "onnxruntime") as NSString, levels, t, inference / t, endToEnd / t))
    }
}
