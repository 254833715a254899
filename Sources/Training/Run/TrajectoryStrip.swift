import Foundation
import ImageIO
import Kernels
import Model

/// A picture of training progress: one fixed sample, then the eval-mode generator's output at each level of
/// 0, 0.1, …, 1, side by side (what the reference's `pred_special` shows every `display_freq` iterations).
struct TrajectoryStrip {
    let sample: RGBImage
    let levels: [Float] = (0...10).map { Float($0) / 10 }

    /// The first decodable image of `folder`, its shorter side scaled to `size`, centre-cropped square.
    init?(folder: ImageFolder, size: Int, data: DataSettings) {
        for url in folder.files {
            guard let image = try? ImageFile.readRGB(url) else { continue }
            let scaled = data.resizeShorterSide(image, to: size)
            sample = cropped(scaled, top: (scaled.height - size) / 2, left: (scaled.width - size) / 2, size: size)
            return
        }
        return nil
    }

    /// `image` centre-cropped to a `size` square (the .h5 path's first clean crop; every side is at least `size`).
    init(sample image: RGBImage, size: Int) {
        sample = cropped(image, top: (image.height - size) / 2, left: (image.width - size) / 2, size: size)
    }

    /// Renders the strip with `generator` (eval mode) and writes it as a PNG.
    func write(_ generator: Generator, to url: URL) throws {
        let x = tensor([sample])
        let n = levels.count
        let batch = Tensor(shape: Shape(n: n, c: 3, h: x.shape.h, w: x.shape.w), scalars: Array([[Float]](repeating: x.scalars, count: n).joined()))
        var noise: Tensor? = nil
        if generator.options.useNoise {
            let p = Insets.toMultiple(of: 16, height: x.shape.h, width: x.shape.w)
            noise = Tensor(shape: Shape(n: n, c: 1, h: x.shape.h + p.top + p.bottom, w: x.shape.w + p.left + p.right))
        }
        let y = generator(batch, intensity: .levels(levels), noise: noise).output
        let size = sample.width
        var strip = RGBImage(width: size * (n + 1), height: size)
        paste(sample, into: &strip, at: 0)
        for i in 0..<n { paste(image(y, index: i), into: &strip, at: (i + 1) * size) }
        do { try PNGFile.write(strip, to: url) } catch { throw TrainingError.cannotWrite(path: url.path, reason: "\(error)") }
    }

    private func paste(_ im: RGBImage, into strip: inout RGBImage, at x0: Int) {
        for y in 0..<im.height {
            let src = y * im.width * 3, dst = (y * strip.width + x0) * 3
            strip.pixels.replaceSubrange(dst..<(dst + im.width * 3), with: im.pixels[src..<(src + im.width * 3)])
        }
    }

    /// Sample `index` as 8-bit the way the reference saves images: clamp to [-1, 1], `(y + 1) / 2 * 255`, truncated.
    private func image(_ t: Tensor, index: Int) -> RGBImage {
        let s = t.shape
        var pixels = [UInt8](repeating: 0, count: s.plane * 3)
        for c in 0..<3 {
            for i in 0..<s.plane {
                let v = min(max(t.scalars[(index * 3 + c) * s.plane + i], -1), 1)
                pixels[3 * i + c] = UInt8((v + 1) / 2 * 255)
            }
        }
        return RGBImage(width: s.w, height: s.h, pixels: pixels)
    }
}
