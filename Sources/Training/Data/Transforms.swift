import ImageIO
import Kernels
import Model

/// How images become training tensors: the reference's `get_transform` (`data/base_dataset.py`) and, for the
/// low-light model, the extra joint flips and darkening of `data/lowlight_dataset.py`.
struct DataSettings {
    var resizeOrCrop: String
    var loadSize: Int
    var fineSize: Int
    var noFlip: Bool
    /// `dataset_mode: lowlight_dataset`: A and B share a horizontal and a vertical flip, and `vary` may darken A.
    var lowLight: Bool
    var vary: Bool
    var lowTimes: Int, highTimes: Int

    static let modes = ["resize_and_crop", "crop", "resize", "scale_width", "scale_width_and_crop", "no"]

    init(config c: MonoPixConfig) throws {
        resizeOrCrop = c.string("resize_or_crop")
        loadSize = c.int("loadSize")
        fineSize = c.int("fineSize")
        noFlip = c.flag("no_flip")
        lowLight = c.string("model") == "cycleCtrl_lowlight"
        vary = c.int("vary") == 1
        lowTimes = c.int("low_times"); highTimes = c.int("high_times")
        guard Self.modes.contains(resizeOrCrop) else {
            throw TrainingError.unsupportedOption(file: c.source, key: "resize_or_crop", value: resizeOrCrop,
                                                  expected: Self.modes.joined(separator: ", "))
        }
        guard fineSize >= 16 else {
            throw TrainingError.unsupportedOption(file: c.source, key: "fineSize", value: "\(fineSize)",
                                                  expected: "at least 16 (the generator pads to multiples of 16)")
        }
        guard loadSize > 0 else {
            throw TrainingError.unsupportedOption(file: c.source, key: "loadSize", value: "\(loadSize)", expected: "a positive size")
        }
        if vary && (lowTimes <= 0 || highTimes < lowTimes) {
            throw TrainingError.unsupportedOption(file: c.source, key: "low_times", value: "\(lowTimes)..\(highTimes)",
                                                  expected: "0 < low_times <= high_times")
        }
    }

    /// One image through `resize_or_crop` and the random horizontal flip, ending at fineSize x fineSize.
    ///
    /// Where the reference would hand the loader differently sized images (`resize`, `scale_width`, `no`, which only
    /// work there when every image already has the same size) or crop beyond the image, a random fineSize crop
    /// (after enlarging the shorter side to fineSize if needed) makes every batch stackable.
    func prepare(_ image: RGBImage, rng: inout SplitMix64) -> RGBImage {
        var im = image
        switch resizeOrCrop {
        case "resize_and_crop", "resize": im = resizeShorterSide(im, to: loadSize)
        case "scale_width": im = scaleWidth(im, to: fineSize)
        case "scale_width_and_crop": im = scaleWidth(im, to: loadSize)
        default: break
        }
        if min(im.width, im.height) < fineSize { im = resizeShorterSide(im, to: fineSize) }
        im = randomCrop(im, size: fineSize, rng: &rng)
        if !noFlip && rng.unit() < 0.5 { im = flipped(im, horizontally: true) }
        return im
    }

    /// PIL's Resize(int): the shorter side becomes `size`, the other `int(size * long / short)`.
    func resizeShorterSide(_ im: RGBImage, to size: Int) -> RGBImage {
        let (w, h) = im.width <= im.height ? (size, size * im.height / im.width) : (size * im.width / im.height, size)
        return (w == im.width && h == im.height) ? im : im.resized(width: w, height: h)
    }

    func scaleWidth(_ im: RGBImage, to width: Int) -> RGBImage {
        let h = max(1, width * im.height / im.width)
        return im.width == width ? im : im.resized(width: width, height: h)
    }

    /// torchvision's RandomCrop: top and left uniform in [0, size - crop].
    func randomCrop(_ im: RGBImage, size: Int, rng: inout SplitMix64) -> RGBImage {
        let top = Int(rng.next() % UInt64(im.height - size + 1))
        let left = Int(rng.next() % UInt64(im.width - size + 1))
        return cropped(im, top: top, left: left, size: size)
    }
}

func cropped(_ im: RGBImage, top: Int, left: Int, size: Int) -> RGBImage {
    if top == 0 && left == 0 && im.width == size && im.height == size { return im }
    var pixels = [UInt8](repeating: 0, count: size * size * 3)
    for y in 0..<size {
        let src = ((top + y) * im.width + left) * 3
        pixels.replaceSubrange((y * size * 3)..<((y + 1) * size * 3), with: im.pixels[src..<(src + size * 3)])
    }
    return RGBImage(width: size, height: size, pixels: pixels)
}

func flipped(_ im: RGBImage, horizontally: Bool) -> RGBImage {
    var out = im
    for y in 0..<im.height {
        for x in 0..<im.width {
            let (sx, sy) = horizontally ? (im.width - 1 - x, y) : (x, im.height - 1 - y)
            for c in 0..<3 { out.pixels[(y * im.width + x) * 3 + c] = im.pixels[(sy * im.width + sx) * 3 + c] }
        }
    }
    return out
}

/// `transforms.ToTensor` + `Normalize(0.5, 0.5)`: `(u8 / 255 - 0.5) * 2`, images stacked into [N, 3, H, W].
func tensor(_ images: [RGBImage]) -> Tensor {
    let lut = (0..<256).map { Float((Double($0) / 255 - 0.5) * 2) }
    let w = images[0].width, h = images[0].height, plane = w * h
    return Tensor(uninitializedShape: Shape(n: images.count, c: 3, h: h, w: w)) { dst in
        for (n, im) in images.enumerated() {
            precondition(im.width == w && im.height == h, "tensor: images of different sizes")
            let base = n * 3 * plane
            for i in 0..<plane {
                dst[base + i] = lut[Int(im.pixels[3 * i])]
                dst[base + plane + i] = lut[Int(im.pixels[3 * i + 1])]
                dst[base + 2 * plane + i] = lut[Int(im.pixels[3 * i + 2])]
            }
        }
    }
}

/// Flips sample tensors [N, C, H, W] along width (`horizontally`) or height, as `index_select` does.
func flippedTensor(_ t: Tensor, horizontally: Bool) -> Tensor {
    let s = t.shape
    var out = t
    for plane in 0..<(s.n * s.c) {
        for y in 0..<s.h {
            for x in 0..<s.w {
                let (sx, sy) = horizontally ? (s.w - 1 - x, y) : (x, s.h - 1 - y)
                out.scalars[plane * s.plane + y * s.w + x] = t.scalars[plane * s.plane + sy * s.w + sx]
            }
        }
    }
    return out
}
