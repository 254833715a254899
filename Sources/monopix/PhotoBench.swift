import ArgumentParser
import Engine
import Foundation
import ImageIO
import Kernels
import Model
import Studio

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

    @Flag(help: "Also the studio's engine on each photo (its budget, a 1200x800-pixel sixel canvas): the first picture (PNG decode, proxy, exact frame), a dab's preview, the stroke's exact frame, a zoomed-in view at full resolution, and the peak.")
    var studio = false

    @Option(help: .hidden) var oneStudio: String?

    @Option(help: .hidden) var tile: String?

    /// Internal: run one case in this process and print its JSON.
    @Option(help: .hidden) var one: String?

    func run() throws {
        if let one { return try runOne(one) }
        if let oneStudio { return try runStudio(oneStudio) }
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
        guard studio else { return }
        print("\nstudio (budget \(MemoryBudget.studio), canvas 1200x800 px): seconds; dab preview: median of 8 dabs")
        print("model    size        proxy      first picture (decode)  sharp picture  dab preview  stroke exact  zoomed view (region)  peak MB")
        for m in models {
            for size in sizes {
                guard let r = try child(m, size, budget: "", studio: true) else { continue }
                func f(_ k: String) -> Double { (r[k] as? Double) ?? .nan }
                func s(_ k: String) -> NSString { (r[k] as? String ?? "") as NSString }
                print(String(format: "%-8@ %-11@ %-10@ %6.2f (%5.2f)          %9.2f  %8.0f ms  %12.2f  %6.2f (%@)  %7.0f", m as NSString, size as NSString,
                             s("proxy"), f("first_picture"), f("decode"), f("sharp_picture"), f("dab_ms"), f("stroke_exact"), f("zoomed_view"),
                             s("zoomed_region"), f("peak_bytes") / 1e6))
            }
        }
    }

    private func child(_ model: String, _ size: String, budget: String, studio: Bool = false) throws -> [String: Any]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        process.arguments = studio ? ["bench", "photo", "--one-studio", "\(model):\(size)"]
            : ["bench", "photo", "--one", "\(model):\(size):\(budget)", "--levels", String(levels)]
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

    private func benchGenerator(_ name: String) throws -> Generator {
        if name == "bundled" {
            guard let c = BundledAssets.config, let m = BundledAssets.model else { throw ValidationError("the bundled model is not here") }
            return try LoadedModel(config: c, checkpoint: m).generator
        }
        var o = GeneratorOptions()
        o.selfAttention = true   // the low-light generator: the reference's full widths with gray attention
        o.norm = .batch
        return .random(options: o, seed: 7)
    }

    /// A photo-like input: the bundled dark sample resized (smooth areas and edges), or noise where it is missing.
    private func benchPhoto(width w: Int, height h: Int) -> RGBImage {
        let sample = BundledAssets.samples.flatMap { try? ImageFile.readRGB($0.appendingPathComponent("chelsea_dark.png")) }
        return sample?.resized(width: w, height: h)
            ?? RGBImage(tensor: Kernels.tanh(standardNormal(Shape(n: 1, c: 3, h: h, w: w), seed: 3)))
    }

    private func runOne(_ spec: String) throws {
        let parts = spec.split(separator: ":").map(String.init)
        guard parts.count == 3, let (w, h) = parseSize(parts[1]), let budget = parts[2] == "unlimited" ? .unlimited : MemoryBudget(parsing: parts[2]) else {
            throw ValidationError("--one MODEL:WxH:BUDGET")
        }
        let generator = try benchGenerator(parts[0])
        let image = benchPhoto(width: w, height: h)
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

extension PhotoBench {
    /// The studio's engine as the studio drives it, on a photo written to a PNG first: decode and the first exact
    /// frame on the smallest proxy, then the frame on the proxy sized for a 1200x800-pixel canvas; eight dabs of a
    /// stroke (previews), the stroke's exact frame; a view zoomed in to 1:1 at full resolution. Prints one JSON line.
    fileprivate func runStudio(_ spec: String) throws {
        let parts = spec.split(separator: ":").map(String.init)
        guard parts.count == 2, let (w, h) = parseSize(parts[1]) else { throw ValidationError("--one-studio MODEL:WxH") }
        let generator = try benchGenerator(parts[0])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-bench-\(getpid()).png")
        try PNGFile.write(benchPhoto(width: w, height: h), to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        ActivationPool.drain()
        PeakMemory.reset()

        let renderer = EngineRenderer(generator: generator, description: parts[0], range: 0...1)
        let fit = min(1200 / Double(w), 800 / Double(h))
        // As the studio asks: the first frame on the smallest proxy, then one sized for the canvas.
        renderer.setDisplayPixels(ProxySizes.minimumPixels)
        let level: Float = 0.7
        var image = RGBImage(width: 1, height: 1)
        var frame = RGBImage(width: 1, height: 1)
        let decode = try seconds { image = try ImageFile.readRGB(file) }
        let opened = ScrubSubject(image: image, painted: nil)
        let first = try seconds {
            frame = try blockingAwait { try await renderer.render(opened, level: level) }
        } + decode
        renderer.setDisplayPixels(Int(fit * fit * Double(w * h)))
        let sharp = try seconds { frame = try blockingAwait { try await renderer.render(opened, level: level) } }
        // A stroke across the middle: dabs 40 photo pixels apart, each a disc of radius 60 at intensity 1.
        var painted = [Float](repeating: .nan, count: w * h)
        var dabs: [Double] = []
        for k in 0..<8 {
            let cx = w / 2 - 160 + k * 40, cy = h / 2
            for y in max(0, cy - 60)..<min(h, cy + 60) {
                for x in max(0, cx - 60)..<min(w, cx + 60) where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= 3600 {
                    painted[y * w + x] = 1
                }
            }
            let subject = ScrubSubject(image: image, painted: painted)
            dabs.append(try seconds { _ = try blockingAwait { try await renderer.renderPreview(subject, level: level) } })
        }
        let subject = ScrubSubject(image: image, painted: painted)
        let strokeExact = try seconds { _ = try blockingAwait { try await renderer.render(subject, level: level) } }
        // Zoomed in to 1:1 on a 1200x800 canvas: that region of the photo, at full resolution.
        let rw = min(w, 1200), rh = min(h, 800)
        var detail: RGBImage?
        var detailError: String?
        let zoomed = seconds {
            do {
                detail = try blockingAwait { try await renderer.renderDetail(subject, level: level, left: (w - rw) / 2, top: (h - rh) / 2, width: rw, height: rh) }
            } catch { detailError = "\(error)" }
        }
        let record: [String: Any] = [
            "model": parts[0], "width": w, "height": h, "proxy": "\(frame.width)x\(frame.height)",
            "decode": decode, "first_picture": first, "sharp_picture": first + sharp, "dab_ms": dabs.sorted()[dabs.count / 2] * 1000, "stroke_exact": strokeExact,
            "zoomed_view": detail == nil ? -1 : zoomed, "zoomed_region": detailError.map { "failed: \($0)" } ?? (detail == nil ? "none: fits the proxy" : "\(rw)x\(rh)"),
            "peak_bytes": Double(PeakMemory.peakBytes ?? 0),
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
