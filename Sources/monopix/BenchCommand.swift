import ArgumentParser
import Dispatch
import Engine
import Foundation
import Kernels
import Model

/// `monopix bench`: whole-frame and per-layer times of the full-width generator, with effective GFLOP/s.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks of the engine (speed is measured here, never asserted by tests).",
        subcommands: [FrameBench.self, InteractiveBench.self, TrajectoryBench.self, TrainBench.self, PhotoBench.self],
        defaultSubcommand: FrameBench.self)
}

/// `monopix bench [frame]`: whole-frame and per-layer times of the full-width generator, with effective GFLOP/s.
struct FrameBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frame",
        abstract: "Time the full-width generator per frame and per layer.")

    @Option(name: .long, help: "Frame sizes (square), e.g. --size 256 --size 512.")
    var size: [Int] = [256, 512]

    @Option(name: .long, help: "Timed runs per size (the median is reported).")
    var repeats = 3

    @Flag(name: .long, help: "Also print the time of every layer (the minimum over the repeats) and the algorithm of each convolution.")
    var layers = false

    @Flag(name: .long, help: "Time every 3x3 convolution on each path (direct, Winograd F(2x2), F(4x4)) with the inputs the network gives it, and measure each path's error against direct, per layer and on the whole network's output.")
    var convs = false

    @Option(name: .long, help: "Seed of the random weights (He-uniform) and of --convs' input image.")
    var seed: UInt64 = 42

    @Flag(name: .customLong("conv-reference"), help: "With --convs: also compare every path with the six-loop double-accumulating reference (slow).")
    var convReference = false

    @Option(name: .customLong("conv-repeats"), help: "Timed runs per layer and path for --convs (the minimum is reported).")
    var convRepeats = 7

    @Flag(name: .customLong("conv-sweep"), help: "Time direct, F(2x2) and F(4x4) on synthetic 3x3 layers over channel counts and sizes (He-uniform weights, inputs in [-1, 1]): the data behind Convolution.algorithm's thresholds.")
    var convSweep = false

    @Flag(name: .long, inversion: .prefixedNo, help: "Also time the bf16 preview path (bf16 GEMMs where the CPU has AVX512_BF16) and its output's max |diff| against f32.")
    var bf16 = true

    @Option(name: .long, help: "Write the results as JSON to this file.")
    var json: String?

    @Flag(name: .long, help: "Also time PyTorch CPU, ONNX Runtime and OpenVINO on the same network (Benchmarks/peers.py; python3 with those packages).")
    var peers = false

    @Option(name: .customLong("peers-script"), help: "Path of the peer script.")
    var peersScript = "Benchmarks/peers.py"

    func run() throws {
        if convSweep { sweepAlgorithms(); return }
        var options = GeneratorOptions()
        options.relativeControl = true
        let weights = Generator.randomStateDict(options: options, seed: seed)
        let generator = try Generator(options: options, stateDict: weights)
        print("MonoPix generator, reference widths (\(Generator.parameterCount(options)) parameters), \(ThreadPolicy.workerCount) threads")
        print("GEMM: \(GEMM.describe(.f32)) for exact frames, \(GEMM.describe(.bf16)) for preview frames (MONOPIX_GEMM=openblas|native)")
        print("ISA: \(ISA.current) of this CPU's \(ISA.supported) (MONOPIX_ISA=avx512|avx2|baseline), Winograd \(Convolution.winogradLanes) lanes")
        var records: [[String: Any]] = []
        // Each size's input and our two outputs, compared with PyTorch's output on the same weights by --peers.
        var frames: [Int: (image: Tensor, exact: Tensor, preview: Tensor?)] = [:]
        for s in size {
            let image = standardNormal(Shape(n: 1, c: 3, h: s, w: s), seed: 1)
            let flops = generator.flops(height: s, width: s)
            // Warm-up: page in the weights, size the BLAS buffers, build the Winograd-domain filters.
            let first = DispatchTime.now().uptimeNanoseconds
            let exact = generator(image, intensity: .levels([0.5])).output
            let warmUp = Double(DispatchTime.now().uptimeNanoseconds - first) / 1e9
            frames[s] = (image, exact, nil)
            // Peak memory of the timed frames alone: the warm-up's transformed filters stay resident and are counted
            // in "resident before".
            // The pool's buffers from earlier sizes would count as resident; this size's frames refill it.
            ActivationPool.drain()
            let resident = PeakMemory.residentBytes ?? 0
            let peakMeasured = PeakMemory.reset()
            let times = timeFrames(generator, image, precision: .f32)
            let median = times[times.count / 2]
            print(String(format: "%4dx%-4d  %.3f s/frame  (min %.3f)  %.1f GFLOP  %.0f GFLOP/s",
                         s, s, median, times[0], flops / 1e9, flops / median / 1e9))
            print(String(format: "           first frame %.3f s (builds the transformed filters of the Winograd layers)", warmUp))
            var record: [String: Any] = ["size": s, "seconds": median, "min_seconds": times[0], "gflop": flops / 1e9,
                                         "first_seconds": warmUp, "times": times]
            if peakMeasured, let peak = PeakMemory.peakBytes {
                // What one f32 frame of this size adds to the process at its peak (activations and scratch; the
                // weights and packed filters were resident before).
                print(String(format: "           peak memory %.0f MB (%.0f MB above the %.0f MB resident before the frames; the activation pool keeps %.0f MB between frames)",
                             Double(peak) / 1e6, Double(peak - resident) / 1e6, Double(resident) / 1e6, Double(ActivationPool.bytes) / 1e6))
                record["activation_pool_mb"] = Double(ActivationPool.bytes) / 1e6
                record["peak_memory_mb"] = Double(peak) / 1e6
                record["frame_memory_mb"] = Double(peak - resident) / 1e6
            }
            if bf16 {
                // The preview path: bf16 products (F(2x2) on the 3x3 layers), against this size's f32 frame.
                let preview = generator(image, intensity: .levels([0.5]), precision: .bf16).output
                frames[s]?.preview = preview
                let times = timeFrames(generator, image, precision: .bf16)
                let diff = preview.maxAbsDifference(exact)
                let meanDiff = preview.meanAbsDifference(exact)
                let maxOut = exact.scalars.reduce(Float(0)) { max($0, abs($1)) }
                print(String(format: "           bf16 %.3f s/frame  (min %.3f)  output vs f32: max|diff| %.2e, mean|diff| %.2e (max|output| %.2f)",
                             times[times.count / 2], times[0], diff, meanDiff, maxOut))
                record["bf16_mean_abs_diff_vs_f32"] = meanDiff
                record["bf16_seconds"] = times[times.count / 2]
                record["bf16_min_seconds"] = times[0]
                record["bf16_times"] = times
                record["bf16_max_abs_diff_vs_f32"] = Double(diff)
            }
            records.append(record)
            if layers {
                printLayers(generator, image, precision: .f32)
                if bf16 { printLayers(generator, image, precision: .bf16) }
            }
            if convs { compareAlgorithms(generator, size: s) }
        }
        var peerFrames: [[String: Any]] = []
        if peers { peerFrames = try runPeers(ours: &records, frames: frames, weights: weights, generator: generator) }
        if let json {
            let data = try JSONSerialization.data(withJSONObject: ["engine": "monopix", "frames": records, "peers": peerFrames], options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }

    /// Runs the peer script in this session, on this machine, on our weights and inputs (handed over as a `.pth`
    /// and `.npy` files), and prints each peer beside our time with the ratio; every engine's output, ours on both
    /// paths included, is compared with PyTorch's.
    func runPeers(ours records: inout [[String: Any]], frames: [Int: (image: Tensor, exact: Tensor, preview: Tensor?)],
                  weights: StateDict, generator: Generator) throws -> [[String: Any]] {
        let exchange = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-bench-\(getpid())")
        try FileManager.default.createDirectory(at: exchange, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: exchange) }
        try weights.write(to: exchange.appendingPathComponent("weights.pth"), format: .pytorch)
        for (s, frame) in frames {
            try NumpyArray(shape: frame.image.shape.dimensions, values: frame.image.scalars)
                .write(to: exchange.appendingPathComponent("input_\(s).npy"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", peersScript, "--threads", String(ThreadPolicy.workerCount), "--exchange", exchange.path]
            + size.flatMap { ["--size", String($0)] }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let peerFrames = object["frames"] as? [[String: Any]] else {
            print("peers: \(peersScript) failed (needs python3 with torch; onnxruntime and openvino where installed)")
            return []
        }
        // Ours again after the peers, so that a busy spell of the machine weighs on both sides: our time is the
        // median of the frames before and after theirs.
        for i in records.indices {
            guard let s = records[i]["size"] as? Int, let frame = frames[s] else { continue }
            for (key, precision) in [("", Precision.f32), ("bf16_", .bf16)] {
                guard let before = records[i][key + "times"] as? [Double] else { continue }
                let all = (before + timeFrames(generator, frame.image, precision: precision)).sorted()
                records[i][key + "times"] = all
                records[i][key + "seconds"] = all[all.count / 2]
                records[i][key + "min_seconds"] = all[0]
                print(String(format: "%4dx%-4d  %@ %.3f s/frame over the frames before and after the peers (min %.3f)",
                             s, s, precision == .f32 ? "f32 " : "bf16", all[all.count / 2], all[0]))
            }
        }
        print("\nsame network (these weights), same input, same machine, same run:")
        print("  engine                            size   s/frame  GFLOP/s   ours/peer   ours bf16/peer   vs torch: max|diff|   mean|diff|")
        for (i, record) in records.enumerated() {
            guard let s = record["size"] as? Int, let frame = frames[s],
                  let torch = try? NumpyArray(contentsOf: exchange.appendingPathComponent("torch_\(s).npy")),
                  torch.values.count == frame.exact.scalars.count else { continue }
            let reference = Tensor(shape: frame.exact.shape, scalars: torch.values)
            var rows = [("monopix f32", record["seconds"] as? Double ?? .nan, frame.exact)]
            if let preview = frame.preview { rows.append(("monopix bf16", record["bf16_seconds"] as? Double ?? .nan, preview)) }
            for (name, t, out) in rows {
                let key = name.hasSuffix("bf16") ? "bf16_" : ""
                let maxDiff = Double(out.maxAbsDifference(reference)), meanDiff = out.meanAbsDifference(reference)
                records[i][key + "max_abs_diff_vs_torch"] = maxDiff
                records[i][key + "mean_abs_diff_vs_torch"] = meanDiff
                print("  " + name.padding(toLength: 32, withPad: " ", startingAt: 0) +
                      String(format: " %5d   %7.3f  %7.0f                                 %.2e     %.2e", s, t,
                             (record["gflop"] as? Double ?? .nan) / t, maxDiff, meanDiff))
            }
        }
        for f in peerFrames {
            guard let peer = f["peer"] as? String, let s = f["size"] as? Int, let t = f["seconds"] as? Double,
                  f["trajectory"] == nil else { continue }
            let record = records.first { ($0["size"] as? Int) == s }
            let mine = record?["seconds"] as? Double ?? .nan
            let mineBF16 = record?["bf16_seconds"] as? Double ?? .nan
            print("  " + peer.padding(toLength: 32, withPad: " ", startingAt: 0) +
                  String(format: " %5d   %7.3f  %7.0f   %8.2fx   %13.2fx       %.2e     %.2e", s, t,
                         (record?["gflop"] as? Double ?? .nan) / t, mine / t, mineBF16 / t,
                         f["max_abs_diff_vs_torch"] as? Double ?? .nan, f["mean_abs_diff_vs_torch"] as? Double ?? .nan))
        }
        return peerFrames
    }

    /// `repeats` timed frames, sorted.
    func timeFrames(_ generator: Generator, _ image: Tensor, precision: Precision) -> [Double] {
        (0..<max(1, repeats)).map { _ in
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = generator(image, intensity: .levels([0.5]), precision: precision)
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }.sorted()
    }

    /// Per 3x3 layer, on the input the direct network gives it: min time of each path (interleaved, so that they
    /// share the machine's noise), with f32 products and, for the Winograd paths, bf16 ones; max |diff| of each path
    /// against direct (and, with --conv-reference, of the f32 paths against the six-loop double-accumulating
    /// reference) and the largest |output|; then the whole network on each path against the whole network on direct.
    func compareAlgorithms(_ generator: Generator, size s: Int) {
        var rng = SplitMix64(seed: seed &+ 7)
        let image = Tensor(shape: Shape(n: 1, c: 3, h: s, w: s), scalars: (0..<(3 * s * s)).map { _ in 2 * rng.unit() - 1 })
        let saved = ConvolutionAlgorithm.forced
        defer { ConvolutionAlgorithm.forced = saved }
        ConvolutionAlgorithm.forced = .direct
        let paths: [(algorithm: ConvolutionAlgorithm, precision: Precision)] =
            [(.direct, .f32), (.winograd2x2, .f32), (.winograd4x4, .f32), (.winograd2x2, .bf16), (.winograd4x4, .bf16)]
        print("    3x3 layers at \(s)x\(s), input in [-1, 1]; ms (min of \(convRepeats)); max |diff| against direct" +
              (convReference ? " | against the exact reference (direct, F2, F4)" : "") + "; F2b, F4b: bf16 products")
        print("    layer     input                direct      F2      F4     F2b     F4b  auto   F2 diff   F4 diff  F2b diff  F4b diff   max|out|")
        var totals = [String: Double]()
        generator.traceConvolutions(image, intensity: .levels([0.5])) { call in
            let conv = call.convolution, x = call.input
            guard conv.kernel == 3 else { return }
            var best = [Double](repeating: .infinity, count: paths.count)
            let outs = paths.map { conv(x, epilogue: call.epilogue, algorithm: $0.algorithm, precision: $0.precision) }
            for _ in 0..<max(1, convRepeats) {
                for (i, path) in paths.enumerated() {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    _ = conv(x, epilogue: call.epilogue, algorithm: path.algorithm, precision: path.precision)
                    best[i] = min(best[i], Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                }
            }
            ConvolutionAlgorithm.forced = nil
            let pick = conv.resolvedAlgorithm(height: x.shape.h, width: x.shape.w)
            ConvolutionAlgorithm.forced = .direct
            for (i, path) in paths.enumerated() { totals[path.algorithm.rawValue + (path.precision == .bf16 ? "b" : ""), default: 0] += best[i] }
            totals["auto", default: 0] += best[paths.firstIndex { $0.algorithm == pick }!]
            let maxOut = outs[0].scalars.reduce(Float(0)) { max($0, abs($1)) }
            var line = String(format: "    %-9@ %-18@ %7.2f %7.2f %7.2f %7.2f %7.2f  %-5@",
                              call.name as NSString, x.shape.description as NSString, best[0], best[1], best[2], best[3], best[4],
                              pick.rawValue as NSString)
            line += outs.dropFirst().map { String(format: "  %.2e", $0.maxAbsDifference(outs[0])) }.joined()
            line += String(format: "  %6.2f", maxOut)
            if convReference {
                let exact = conv.reference(x, epilogue: call.epilogue)
                line += " | " + outs.prefix(3).map { String(format: "%.2e", $0.maxAbsDifference(exact)) }.joined(separator: "  ")
            }
            print(line)
        }
        print(String(format: "    3x3 totals: direct %.1f ms, F2 %.1f ms, F4 %.1f ms, F2b %.1f ms, F4b %.1f ms, auto (f32) %.1f ms",
                     totals["direct"] ?? 0, totals["f2"] ?? 0, totals["f4"] ?? 0, totals["f2b"] ?? 0, totals["f4b"] ?? 0,
                     totals["auto"] ?? 0))
        let reference = generator(image, intensity: .levels([0.5]))
        for path in [ConvolutionAlgorithm.automatic, .winograd2x2, .winograd4x4] {
            ConvolutionAlgorithm.forced = path
            let out = generator(image, intensity: .levels([0.5]))
            print(String(format: "    whole network on %@ vs direct: output max|diff| %.2e, latent max|diff| %.2e (max|latent| %.2f)",
                         path.rawValue as NSString, out.output.maxAbsDifference(reference.output),
                         out.latent.maxAbsDifference(reference.latent),
                         reference.latent.scalars.reduce(Float(0)) { max($0, abs($1)) }))
        }
    }

    func sweepAlgorithms() {
        let paths: [ConvolutionAlgorithm] = [.direct, .winograd2x2, .winograd4x4]
        print("3x3 stride-1 layers, \(ThreadPolicy.workerCount) threads, ms (min of \(convRepeats)); F2/F4 error relative to max|direct|")
        print("   in   out   size    direct       F2       F4   fastest  auto    F2 rel.err  F4 rel.err")
        var rng = SplitMix64(seed: 3)
        let channels = [(1, 8), (3, 32), (4, 32), (8, 8), (8, 16), (16, 16), (16, 32), (32, 32), (32, 64), (64, 64),
                        (128, 128), (256, 256), (512, 256), (512, 512)]
        for (inC, outC) in channels {
            for size in [2, 4, 8, 16, 32, 64, 128, 256, 512] {
                let macs = Double(inC * outC * 9 * size * size)
                guard macs <= 1.5e9, macs >= 1e4 || size <= 8 else { continue }
                let bound = Float((6.0 / Double(inC * 9)).squareRoot())
                let conv = Convolution(outChannels: outC, inChannels: inC, kernel: 3, padding: 1,
                                       weight: (0..<(outC * inC * 9)).map { _ in (2 * rng.unit() - 1) * bound },
                                       bias: (0..<outC).map { _ in (2 * rng.unit() - 1) * 0.1 })
                let x = Tensor(shape: Shape(n: 1, c: inC, h: size, w: size),
                               scalars: (0..<(inC * size * size)).map { _ in 2 * rng.unit() - 1 })
                let epilogue = Epilogue(leakySlope: 0.2)
                let outs = paths.map { conv(x, epilogue: epilogue, algorithm: $0) }
                var best = [Double](repeating: .infinity, count: paths.count)
                let reps = macs < 1e8 ? max(convRepeats, 30) : convRepeats
                for _ in 0..<reps {
                    for (i, a) in paths.enumerated() {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        _ = conv(x, epilogue: epilogue, algorithm: a)
                        best[i] = min(best[i], Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                    }
                }
                let scale = max(1e-30, outs[0].scalars.reduce(Float(0)) { max($0, abs($1)) })
                let fastest = paths[best.firstIndex(of: best.min()!)!]
                let auto = Convolution.algorithm(kernel: 3, stride: 1, padding: 1, inChannels: inC, outChannels: outC, height: size, width: size)
                print(String(format: "%5d %5d %6d  %8.3f %8.3f %8.3f   %-7@ %-6@  %.2e    %.2e", inC, outC, size, best[0], best[1], best[2],
                             fastest.rawValue as NSString, auto.rawValue as NSString,
                             outs[1].maxAbsDifference(outs[0]) / scale, outs[2].maxAbsDifference(outs[0]) / scale))
            }
        }
    }

    /// Every node's time, the minimum over `repeats` profiled passes (one pass is too noisy on a shared machine),
    /// with the algorithm each convolution ran.
    func printLayers(_ generator: Generator, _ image: Tensor, precision: Precision) {
        print("    per layer, \(precision) frame:")
        var rows: [(name: String, seconds: Double, shape: Shape, path: String)] = []
        var traced: [String: String] = [:]
        generator.traceConvolutions(image, intensity: .levels([0.5])) { call in
            let path = call.convolution.resolvedAlgorithm(height: call.input.shape.h, width: call.input.shape.w, precision: precision)
            let products = call.convolution.productPrecision(precision, path: path, requested: .automatic)
            traced[call.name] = path.rawValue + (products == .bf16 ? " bf16" : "")
        }
        for pass in 0..<max(1, repeats) {
            var last = DispatchTime.now().uptimeNanoseconds
            var i = 0
            generator.profile(image, intensity: .levels([0.5]), precision: precision) { index, out in
                let now = DispatchTime.now().uptimeNanoseconds
                let t = Double(now - last) / 1e9
                if pass == 0 {
                    var path = ""
                    if case let .conv(name, _, _, _, _, _) = generator.graph.nodes[index].op { path = traced[name] ?? "" }
                    rows.append((generator.graph.describe(index), t, out.shape, path))
                } else {
                    rows[i].seconds = min(rows[i].seconds, t)
                }
                i += 1
                last = DispatchTime.now().uptimeNanoseconds
            }
        }
        var total = 0.0
        for row in rows { total += row.seconds }
        for row in rows where row.seconds > 0.0002 {
            print(String(format: "    %-28@ %7.2f ms  %-18@ %@", row.name as NSString, row.seconds * 1000,
                         row.shape.description as NSString, row.path as NSString))
        }
        print(String(format: "    sum of the per-layer minima %.1f ms", total * 1000))
    }
}
