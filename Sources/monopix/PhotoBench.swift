import ArgumentParser
import Engine
import Foundation
import ImageIO
import Kernels
import Model

/// `monopix bench photo`: photos of phone and camera sizes through the tiled engine, each case in a process of its
/// own so that its peak resident memory is its alone: seconds per megapixel tiled and untiled (where untiled fits
/// in this machine's memory), the peak, and the grid the budget chose.
struct PhotoBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "photo",
        abstract: "Peak memory and seconds per megapixel on large photos, tiled vs untiled (full-width and bundled models).")

    @Option(name: .customLong("size"), help: "WIDTHxHEIGHT (repeatable).")
    var sizes: [String] = ["2048x1536", "4000x3000", "8000x6000"]

    @Option(help: "full (the reference's widths, random weights), bundled, or both.")
    var model = "both"

    @Option(help: "Levels per run (a trajectory shares each tile's first layer).")
    var levels = 1

    @Option(name: .customLong("memory-budget"), help: "The tiled runs' budget (default 1.5G).")
    var memoryBudget = "1.5G"

    @Flag(help: "Skip the untiled runs.")
    var tiledOnly = false

    @Option(help: .hidden) var tile: String?

    /// Internal: run one case in this process and print its JSON.
    @Option(help: .hidden) var one: String?

    func run() throws {
        if let one { return try runOne(one) }
        let models = model == "both" ? ["full", "bundled"] : [model]
        print("CPU: \(cpuName()), \(ThreadPolicy.workerCount) threads; budget \(memoryBudget); \(levels) level(s) per run")
        print("model    size        tiles                         work   tiled s/MP  peak MB   untiled s/MP  peak MB   ratio")
        for m in models {
            for size in sizes {
                guard let tiled = try child(m, size, budget: memoryBudget) else { continue }
                var untiled: [String: Any]? = nil
                if !tiledOnly, let need = tiled["untiled_estimate_bytes"] as? Double, need < 16e9 {
                    untiled = try child(m, size, budget: "unlimited")
                }
                func f(_ d: [String: Any]?, _ k: String) -> Double { (d?[k] as? Double) ?? .nan }
                let ratio = f(tiled, "seconds_per_mp") / f(untiled, "seconds_per_mp")
                print(String(format: "%-8@ %-11@ %-29@ %5.2fx %10.3f %8.0f %13.3f %8.0f %7.2fx", m as NSString, size as NSString,
                             (tiled["grid"] as? String ?? "") as NSString, f(tiled, "work_ratio"), f(tiled, "seconds_per_mp"),
                             f(tiled, "peak_bytes") / 1e6, f(untiled, "seconds_per_mp"), f(untiled, "peak_bytes") / 1e6, ratio))
            }
        }
    }

    private func child(_ model: String, _ size: String, budget: String) throws -> [String: Any]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        process.arguments = ["bench", "photo", "--one", "\(model):\(size):\(budget)", "--levels", String(levels)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(data: data, encoding: .utf8)?.split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            print("\(model) \(size) (budget \(budget)): the run failed (status \(process.terminationStatus))")
            return nil
        }
        return object
    }

    private func runOne(_ spec: String) throws {
        let parts = spec.split(separator: ":").map(String.init)
        guard parts.count == 3, let (w, h) = parseSize(parts[1]), let budget = parts[2] == "unlimited" ? .unlimited : MemoryBudget(parsing: parts[2]) else {
            throw ValidationError("--one MODEL:WxH:BUDGET")
        }
        let generator: Generator
        if parts[0] == "bundled" {
            guard let c = BundledAssets.config, let m = BundledAssets.model else { throw ValidationError("the bundled model is not here") }
            generator = try LoadedModel(config: c, checkpoint: m).generator
        } else {
            var o = GeneratorOptions()
            o.selfAttention = true   // the low-light generator: the reference's full widths with gray attention
            o.norm = .batch
            generator = .random(options: o, seed: 7)
        }
        // A photo-like input: the bundled dark sample resized (smooth areas and edges), or noise where it is missing.
        let sample = BundledAssets.samples.flatMap { try? ImageFile.readRGB($0.appendingPathComponent("chelsea_dark.png")) }
        let image = sample?.resized(width: w, height: h)
            ?? RGBImage(tensor: Kernels.tanh(standardNormal(Shape(n: 1, c: 3, h: h, w: w), seed: 3)))
        var modulator = Modulator(generator: generator, memoryBudget: budget)
        if let tile, let (tw, th) = parseSize(tile) { modulator.tileOverride = (th, tw) }
        let lv = levels == 1 ? [Float(0.7)] : Levels.linspace(0, 1, count: levels)
        let plan = try modulator.tilePlan(width: w, height: h, levels: lv.count)
        let untiled = TiledExecutor(generator: generator, height: h, width: w)
            .plan(TileGrid(paddedHeight: plan.grid.paddedHeight, paddedWidth: plan.grid.paddedWidth,
                           tileHeight: plan.grid.paddedHeight, tileWidth: plan.grid.paddedWidth), levels: lv.count)
        var checksum = 0
        let t = try seconds {
            try modulator.renderBands(image, levels: lv) { _, _, bands in checksum &+= Int(bands[0][0]) }
        }
        let mp = Double(w * h) / 1e6
        let record: [String: Any] = [
            "model": parts[0], "width": w, "height": h, "levels": lv.count, "budget": budget.description,
            "grid": plan.grid.description, "work_ratio": plan.workRatio, "planned_peak_bytes": Double(plan.peakBytes),
            "untiled_estimate_bytes": Double(untiled.peakBytes), "seconds": t, "seconds_per_mp": t / mp / Double(lv.count),
            "peak_bytes": Double(PeakMemory.peakBytes ?? 0), "checksum": checksum,
        ]
        print(String(data: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), encoding: .utf8)!)
    }
}

/// `WIDTHxHEIGHT`.
func parseSize(_ text: String) -> (Int, Int)? {
    let p = text.lowercased().split(separator: "x")
    guard p.count == 2, let w = Int(p[0]), let h = Int(p[1]), w > 0, h > 0 else { return nil }
    return (w, h)
}

/// The CPU's model name, from /proc/cpuinfo.
func cpuName() -> String {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    return info.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?
        .trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
}
