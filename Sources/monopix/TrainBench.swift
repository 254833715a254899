import ArgumentParser
import Dispatch
import Foundation
import Kernels
import Model
import Training

/// `monopix bench train`: training throughput (images per second) of a config's model on synthetic crops, optionally
/// beside PyTorch CPU on the same model (Benchmarks/train_torch.py).
struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time training steps (generator step + discriminator steps) on synthetic crops.")

    @Option(help: "The config whose model is trained.")
    var config = "configs/MonoPix_SummerWinter_Default.yaml"

    @Option(name: .customLong("fine-size"), help: "Crop size (square).")
    var fineSize = 128

    @Option(name: .customLong("batch-size"), help: "Images per step (each is run at two intensities).")
    var batchSize = 1

    @Option(name: .customLong("ngf-mult"), help: "Width multiplier (1 is the reference).")
    var ngfMult = 1.0

    @Option(help: "Timed steps (after one warm-up step).")
    var steps = 3

    @Flag(help: "Also time PyTorch CPU on the same model and step (python3 with torch).")
    var torch = false

    @Option(name: .customLong("torch-script"), help: "Path of the PyTorch script.")
    var torchScript = "Benchmarks/train_torch.py"

    @Flag(help: "Print forward and backward time per op kind.")
    var profile = false

    @Flag(name: .customLong("profile-layers"), help: "With --profile: one line per convolution shape (kernel, stride, channels, input size, batch).")
    var profileLayers = false

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    func run() throws {
        AllocatorPolicy.keepFreedMemoryForReuse()  // as `monopix train` runs
        let cfg = try MonoPixConfig(contentsOf: URL(fileURLWithPath: config))
            .with(["fineSize": .int(fineSize), "batchSize": .int(batchSize), "ngf_mult": .double(ngfMult)])
        let session = try TrainingSession(config: cfg, seed: 1)
        var rng = SplitMix64(seed: 5)
        func images() -> Tensor {
            Tensor(shape: Shape(n: batchSize, c: 3, h: fineSize, w: fineSize), scalars: (0..<(batchSize * 3 * fineSize * fineSize)).map { _ in 2 * rng.unit() - 1 })
        }
        let batch = TrainingBatch(a: images(), b: images(), input: cfg.string("model") == "cycleCtrl_lowlight" ? images() : nil)
        print("\(cfg.string("model")) ngf_mult \(ngfMult), \(fineSize)x\(fineSize) crops, batch \(batchSize) (x2 intensities), \(ThreadPolicy.workerCount) threads, GEMM \(GEMM.describe(.f32)), ISA \(ISA.current) (MONOPIX_ISA)")
        session.step(batch, draws: session.draws(for: batch, seed: 0))
        if profile || profileLayers { TrainingProfiler.enable(byLayerShape: profileLayers) }
        var times: [Double] = []
        for i in 0..<max(1, steps) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            session.step(batch, draws: session.draws(for: batch, seed: UInt64(i + 1)))
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        times.sort()
        let median = times[times.count / 2]
        let ours = Double(batchSize) / median
        print(String(format: "monopix  %.3f s/step (min %.3f)  %.2f images/s", median, times[0], ours))
        if profile || profileLayers { print("per op over \(times.count) steps:\n" + TrainingProfiler.report()) }
        var result: [String: Any] = ["model": cfg.string("model"), "fine_size": fineSize, "batch_size": batchSize, "ngf_mult": ngfMult,
                                     "monopix": ["seconds_per_step": median, "images_per_s": ours, "openblas_core": GEMM.coreName,
                                                 "gemm": GEMM.describe(.f32), "isa": ISA.current.description]]
        if torch {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", torchScript, "--config", config, "--fine-size", "\(fineSize)", "--batch-size", "\(batchSize)",
                           "--ngf-mult", "\(ngfMult)", "--steps", "\(steps)", "--threads", "\(ThreadPolicy.workerCount)", "--json"]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0, let obj = try JSONSerialization.jsonObject(with: out) as? [String: Any],
                  let rate = obj["images_per_s"] as? Double, let sec = obj["seconds_per_step"] as? Double else {
                throw ValidationError("\(torchScript) failed (status \(p.terminationStatus))")
            }
            print(String(format: "pytorch  %.3f s/step  %.2f images/s  (torch %@, %d threads)  ratio %.2fx",
                         sec, rate, (obj["torch"] as? String ?? "?") as NSString, ThreadPolicy.workerCount, ours / rate))
            result["pytorch"] = obj
        }
        if let json {
            try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: json))
        }
    }
}
