import ArgumentParser
import Dispatch
import Engine
import Evaluation
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

    @Flag(help: "Skip measuring how close each scrub preview is to the exact frame (needs the bundled model).")
    var noPreviewQuality = false

    func run() throws {
        var options = GeneratorOptions()
        options.widthMultiplier = width
        let g = Generator.random(options: options, seed: 42)
        let image = standardNormal(Shape(n: 1, c: 3, h: size, w: size), seed: 1)
        var map = Tensor(shape: Shape(n: 1, c: 1, h: size, w: size), repeating: 0.5)
        _ = g(image, intensity: .map(map))  // builds the Winograd filters
        let alone = min(seconds { _ = g(image, intensity: .map(map)) }, seconds { _ = g(image, intensity: .map(map)) })
        var exec = IncrementalExecutor(generator: g, image: image, map: map)
        // The studio keeps the executor's activations while it renders full frames: both times are reported.
        let full = min(seconds { _ = g(image, intensity: .map(map)) }, seconds { _ = g(image, intensity: .map(map)) })
        var results: [String: Double] = ["full_frame_s": full, "full_frame_alone_s": alone,
                                         "activation_cache_mb": Double(exec.cachedBytes) / 1e6]
        print(String(format: "%dx%d, width x%.3g: full frame %.3f s (%.3f s without the activation cache beside it); activation cache %.0f MB",
                     size, size, width, full, alone, Double(exec.cachedBytes) / 1e6))

        func dab(_ cx: Int, _ cy: Int, _ r: Int, _ value: Float) -> Region {
            disc(cx, cy, radius: r, within: size) { x, y in map[0, 0, y, x] = value }
        }
        for r in [8, 16, 32] {
            var times: [Double] = [], reaching: [Double] = [], previews: [Double] = []
            var fraction = 0.0, previewFraction = 0.0
            for k in 0..<3 {
                let region = dab(size / 2 + 7 * k, size / 2 - 5 * k, r, Float(k % 2))
                times.append(seconds { exec.update(map: map, changed: region) })
                fraction = exec.lastRecomputedFraction
            }
            // Previews while the button is held: bf16 over all the dab reaches, and the studio's (bf16 near the dab).
            for k in 0..<3 {
                let region = dab(size / 2 - 6 * k, size / 2 + 4 * k, r, Float(k % 2))
                reaching.append(seconds { exec.update(map: map, changed: region, mode: .preview(precision: .bf16, margin: nil)) })
            }
            for k in 0..<3 {
                let region = dab(size / 2 + 5 * k, size / 2 + 6 * k, r, Float(k % 2))
                previews.append(seconds { exec.update(map: map, changed: region, mode: .stroke) })
                previewFraction = exec.lastRecomputedFraction
            }
            let release = seconds { exec.update(map: map, changed: .empty) }
            let t = times.min()!, b = reaching.min()!, p = previews.min()!
            results["dab_r\(r)_s"] = t
            results["dab_r\(r)_bf16_s"] = b
            results["dab_r\(r)_preview_s"] = p
            results["dab_r\(r)_release_s"] = release
            print(String(format: "  dab radius %2d: exact %.3f s (%.2fx a full frame; %.0f%% of the convolution work); bf16 %.3f s (%.2fx); stroke preview (bf16 near the dab, %.1f%%) %.3f s (%.2fx); exact frame after 9 previews %.3f s",
                         r, t, t / full, fraction * 100, b, b / full, previewFraction * 100, p, p / full, release))
        }
        // A 20-dab stroke along a diagonal, one update per dab as the studio does while the button is held: stroke
        // previews, then the exact frame on release.
        var strokePreviews = 0.0
        for i in 0..<20 {
            strokePreviews += seconds { exec.update(map: map, changed: dab(size / 4 + i * size / 40, size / 3 + i * size / 60, 16, 0.9), mode: .stroke) }
        }
        let strokeRelease = seconds { exec.update(map: map, changed: .empty) }
        results["stroke_20_dabs_preview_s"] = strokePreviews
        results["stroke_release_s"] = strokeRelease
        print(String(format: "  20-dab stroke (r 16): previews %.3f s in all, %.3f s per dab; exact frame on release %.3f s",
                     strokePreviews, strokePreviews / 20, strokeRelease))

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
        // The blend's cost grows with the pixels only; above ScrubLadder.previewSide it blends sampled-down copies.
        for side in [2048, 4096] {
            let big = ScrubLadder(range: 0...1, levels: 2)
            var pixels = [UInt8](repeating: 0, count: side * side * 3)
            for i in stride(from: 0, to: pixels.count, by: 7) { pixels[i] = UInt8(i % 251) }
            let subject = ScrubSubject(image: RGBImage(width: side, height: side, pixels: pixels), painted: nil)
            big.remember(subject.image, of: subject, at: 0)
            big.remember(RGBImage(width: side, height: side, pixels: pixels.reversed()), of: subject, at: 1)
            let t = min(seconds { _ = big.preview(of: subject, at: 0.3) }, seconds { _ = big.preview(of: subject, at: 0.6) })
            results["scrub_preview_\(side)_s"] = t
            print(String(format: "  scrub preview at %dx%d: %.4f s (blend at %d px on the long side)", side, side, t, ScrubLadder.previewSide))
        }
        if !noPreviewQuality, let quality = try previewQuality() { results.merge(quality) { $1 } }
        if let json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }

    /// Which scrub preview is closer to the exact frame, on a real model and photo (the bundled ones): the blend of
    /// the two nearest levels of the studio's ladder (11 levels over the model's range), or an exact pass at half
    /// resolution scaled back up. Levels off the ladder's grid, as a scrub lands.
    func previewQuality() throws -> [String: Double]? {
        guard let config = BundledAssets.config, let checkpoint = BundledAssets.model, let samples = BundledAssets.samples,
              let photo = try? ImageFile.readRGB(samples.appendingPathComponent("chelsea_dark.png")) else {
            print("  preview quality: skipped (bundled model or sample not found)")
            return nil
        }
        let model = try LoadedModel(config: config, checkpoint: checkpoint)
        let image = photo.resized(width: size, height: size)
        let modulator = Modulator(generator: model.generator)
        let ladder = ScrubLadder(range: -1...2, levels: 11)
        let subject = ScrubSubject(image: image, painted: nil)
        // Filled as the studio fills it: the even ladder around the first level, then refined where frames jump.
        let fill = try seconds {
            ladder.remember(try modulator.render(image, level: 1), of: subject, at: 1)
            while let level = ladder.nextLevel(for: subject, near: 1) {
                ladder.remember(try modulator.render(image, level: level), of: subject, at: level)
            }
        }
        let count = ladder.cachedLevels.count
        var results: [String: Double] = ["ladder_fill_s": fill, "ladder_levels": Double(count)]
        print(String(format: "  preview quality (bundled low-light model, chelsea_dark at %dx%d; ladder over [-1, 2] filled with %d levels in %.2f s):", size, size, count, fill))
        var blendPSNR: [Double] = [], halfPSNR: [Double] = []
        for level: Float in [0.33, 0.61, 0.97] {
            let exact = try modulator.render(image, level: level)
            var blend: RGBImage?
            let tBlend = seconds { blend = ladder.preview(of: subject, at: level)?.image }
            var half: RGBImage?
            let tHalf = try seconds {
                half = try modulator.render(image.downscaled(toFit: size / 2), level: level).resized(width: size, height: size)
            }
            blendPSNR.append(ImageMetrics.psnr(blend!, exact))
            halfPSNR.append(ImageMetrics.psnr(half!, exact))
            print(String(format: "    level %.2f: blend of cached levels %.1f dB in %.4f s; half-resolution pass %.1f dB in %.3f s",
                         level, blendPSNR.last!, tBlend, halfPSNR.last!, tHalf))
        }
        // A stroke preview against the exact frame after the same radius-16 dabs.
        var map = IntensityMap(width: size, height: size, constant: 0.3)
        var exec = IncrementalExecutor(generator: model.generator, image: Tensor(image: image), map: Tensor(map: map),
                                       gray: model.generator.options.selfAttention ? Generator.attentionMap(u8: image.pixels, width: size, height: size) : nil)
        var strokePSNR: [Double] = []
        for (k, level) in [Float(1), 0.6, 1.5].enumerated() {
            let changed = disc(size / 3 + k * size / 5, size / 2 - k * size / 9, radius: 16, within: size) { x, y in map[x, y] = level }
            let preview = RGBImage(tensor: exec.update(map: Tensor(map: map), changed: changed, mode: .stroke))
            let exact = RGBImage(tensor: exec.update(map: Tensor(map: map), changed: .empty))
            strokePSNR.append(ImageMetrics.psnr(preview, exact))
        }
        results["stroke_preview_psnr_db"] = strokePSNR.reduce(0, +) / Double(strokePSNR.count)
        print(String(format: "    stroke preview (radius-16 dabs at levels 1, 0.6, 1.5 over 0.3): %.1f, %.1f, %.1f dB from the exact frame",
                     strokePSNR[0], strokePSNR[1], strokePSNR[2]))
        results["blend_preview_psnr_db"] = blendPSNR.reduce(0, +) / Double(blendPSNR.count)
        results["half_resolution_preview_psnr_db"] = halfPSNR.reduce(0, +) / Double(halfPSNR.count)
        return results
    }
}

/// Calls `paint(x, y)` for every pixel of the disc of `radius` around (cx, cy) inside a `size` x `size` frame;
/// returns the disc's bounding box (the region a dab changes).
private func disc(_ cx: Int, _ cy: Int, radius r: Int, within size: Int, _ paint: (Int, Int) -> Void) -> Region {
    let region = Region(top: cy - r, bottom: cy + r + 1, left: cx - r, right: cx + r + 1).clipped(height: size, width: size)
    for y in region.top..<region.bottom { for x in region.left..<region.right where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r {
        paint(x, y)
    } }
    return region
}
