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
        abstract: "Time the full-width generator per frame and per layer.")

    @Option(name: .long, help: "Frame sizes (square), e.g. --size 256 --size 512.")
    var size: [Int] = [256, 512]

    @Option(name: .long, help: "Timed runs per size (the median is reported).")
    var repeats = 3

    @Flag(name: .long, help: "Also print the time of every layer.")
    var layers = false

    @Option(name: .long, help: "Write the results as JSON to this file.")
    var json: String?

    func run() throws {
        var options = GeneratorOptions()
        options.relativeControl = true
        let generator = Generator.random(options: options, seed: 42)
        print("MonoPix generator, reference widths (\(Generator.parameterCount(options)) parameters), \(ThreadPolicy.workerCount) threads")
        var records: [[String: Any]] = []
        for s in size {
            let image = standardNormal(Shape(n: 1, c: 3, h: s, w: s), seed: 1)
            let flops = generator.flops(height: s, width: s)
            _ = generator(image, intensity: .levels([0.5]))  // warm-up: page in the weights, size the BLAS buffers
            var times: [Double] = []
            for _ in 0..<max(1, repeats) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = generator(image, intensity: .levels([0.5]))
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            times.sort()
            let median = times[times.count / 2]
            print(String(format: "%4dx%-4d  %.3f s/frame  (min %.3f)  %.1f GFLOP  %.0f GFLOP/s",
                         s, s, median, times[0], flops / 1e9, flops / median / 1e9))
            records.append(["size": s, "seconds": median, "min_seconds": times[0], "gflop": flops / 1e9])
            if layers { printLayers(generator, image) }
        }
        if let json {
            let data = try JSONSerialization.data(withJSONObject: ["engine": "monopix", "frames": records], options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }

    func printLayers(_ generator: Generator, _ image: Tensor) {
        var last = DispatchTime.now().uptimeNanoseconds
        var rows: [(String, Double, Shape)] = []
        generator.profile(image, intensity: .levels([0.5])) { index, out in
            let now = DispatchTime.now().uptimeNanoseconds
            rows.append((generator.graph.describe(index), Double(now - last) / 1e9, out.shape))
            last = now
        }
        for (name, t, shape) in rows where t > 0.0005 {
            print(String(format: "    %-28@ %7.2f ms  %@", name as NSString, t * 1000, shape.description as NSString))
        }
    }
}
