import ArgumentParser
import Dispatch
import Engine
import Foundation
import ImageIO
import Kernels
import Model

/// `monopix bench interactive`: what painting and scrubbing cost in the studio, against a full frame.
struct InteractiveBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interactive",
        abstract: "Time brush dabs (incremental re-inference), strokes and scrub steps against a full frame.")

    @Option(help: "Frame size (square).")
    var size = 512

    @Option(help: "Width multiplier of the generator (1 = the reference's widths).")
    var width: Double = 1

    @Option(name: .long, help: "Write the results as JSON to this file.")
    var json: String?

    func seconds(_ body: () -> Void) -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    func run() throws {
        var options = GeneratorOptions()
        options.widthMultiplier = width
        let g = Generator.random(options: options, seed: 42)
        let image = standardNormal(Shape(n: 1, c: 3, h: size, w: size), seed: 1)
        var map = Tensor(shape: Shape(n: 1, c: 1, h: size, w: size), repeating: 0.5)
        var exec = IncrementalExecutor(generator: g, image: image, map: map)
        let full = min(seconds { _ = g(image, intensity: .map(map)) }, seconds { _ = g(image, intensity: .map(map)) })
        var results: [String: Double] = ["full_frame_s": full, "activation_cache_mb": Double(exec.cachedBytes) / 1e6]
        print(String(format: "%dx%d, width x%.3g: full frame %.3f s; activation cache %.0f MB", size, size, width, full, Double(exec.cachedBytes) / 1e6))

        func dab(_ cx: Int, _ cy: Int, _ r: Int, _ value: Float) -> Region {
            let region = Region(top: cy - r, bottom: cy + r + 1, left: cx - r, right: cx + r + 1).clipped(height: size, width: size)
            for y in region.top..<region.bottom { for x in region.left..<region.right where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
                map[0, 0, y, x] = value
            } }
            return region
        }
        for r in [8, 16, 32] {
            var times: [Double] = []
            var fraction = 0.0
            for k in 0..<3 {
                let region = dab(size / 2 + 7 * k, size / 2 - 5 * k, r, Float(k % 2))
                times.append(seconds { exec.update(map: map, changed: region) })
                fraction = exec.lastRecomputedFraction
            }
            let t = times.min()!
            results["dab_r\(r)_s"] = t
            print(String(format: "  dab radius %2d: %.3f s  (%.2fx a full frame; %.0f%% of the convolution work)", r, t, t / full, fraction * 100))
        }
        // A 20-dab stroke along a diagonal, one update per dab as the studio does while the button is held.
        let strokeTime = seconds {
            for i in 0..<20 { exec.update(map: map, changed: dab(size / 4 + i * size / 40, size / 3 + i * size / 60, 16, 0.9)) }
        }
        results["stroke_20_dabs_s"] = strokeTime
        print(String(format: "  20-dab stroke (r 16): %.3f s in all, %.3f s per dab", strokeTime, strokeTime / 20))

        // Scrubbing: the preview blends the two nearest cached levels; the exact frame is a full pass.
        let cache = LevelCache(capacityBytes: 64 << 20)
        let rgb = RGBImage(tensor: g(image, intensity: .levels([0.4])).output)
        cache.insert(rgb, level: 0.4)
        cache.insert(RGBImage(tensor: g(image, intensity: .levels([0.6])).output), level: 0.6)
        let preview = seconds { _ = cache.preview(at: 0.47) }
        results["scrub_preview_s"] = preview
        results["scrub_exact_s"] = full
        results["level_cache_mb"] = Double(cache.bytes) / 1e6
        print(String(format: "  scrub step: preview %.4f s (blend of the two nearest cached levels), exact %.3f s; level cache %.1f MB", preview, full, Double(cache.bytes) / 1e6))
        if let json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }
}
