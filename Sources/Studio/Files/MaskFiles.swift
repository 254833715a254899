import Engine
import Foundation
import ImageIO
import Model

/// Mask files: NumPy `.npy` (float32, H x W, the values themselves) and 16-bit gray PNG, whose samples span the
/// range written in its `monopix:min` / `monopix:max` text chunks (0 → min, 65535 → max).
enum MaskFiles {
    static let minKey = IntensityMap.minKey
    static let maxKey = IntensityMap.maxKey

    static func save(_ map: IntensityMap, range: ClosedRange<Float>, to url: URL) throws {
        switch url.pathExtension.lowercased() {
        case "npy":
            try NumpyArray(shape: [map.height, map.width], values: map.values).write(to: url)
        case "png":
            let (samples, lo, hi) = pngSamples(map.values, range: range)
            try PNGFile.writeGray(width: map.width, height: map.height, samples: samples, bitDepth: 16,
                                  text: [minKey: String(lo), maxKey: String(hi)], to: url)
        default:
            throw StudioError.format(what: "mask", reason: "\(url.lastPathComponent): use .png or .npy")
        }
    }

    static func load(_ url: URL, width: Int, height: Int, range: ClosedRange<Float>) throws -> MaskLayer {
        let expected = "\(width)x\(height)"
        switch url.pathExtension.lowercased() {
        case "npy":
            let array = try NumpyArray(contentsOf: url)
            let dims = array.shape.filter { $0 != 1 }
            guard dims == [height, width] || (width == 1 || height == 1) && array.values.count == width * height else {
                throw StudioError.maskSize(path: url.path, expected: expected, found: array.shape.map(String.init).joined(separator: "x"))
            }
            return MaskLayer(width: width, height: height, values: array.values)
        case "png":
            let png = try PNGFile.read(url)
            guard png.width == width, png.height == height else {
                throw StudioError.maskSize(path: url.path, expected: expected, found: "\(png.width)x\(png.height)")
            }
            return MaskLayer(width: width, height: height, values: values(png, range: range))
        default:
            throw StudioError.format(what: "mask", reason: "\(url.lastPathComponent): use .png or .npy")
        }
    }

    /// 16-bit samples and the range they span: the configured range, widened to include every value (so that a
    /// mask reaching beyond the slider's range survives the round trip).
    static func pngSamples(_ values: [Float], range: ClosedRange<Float>) -> (samples: [UInt16], lo: Float, hi: Float) {
        let finite = values.filter(\.isFinite)
        let lo = min(range.lowerBound, finite.min() ?? range.lowerBound)
        let hi = max(range.upperBound, finite.max() ?? range.upperBound)
        let span = hi > lo ? hi - lo : 1
        let samples = values.map { v -> UInt16 in
            let t = v.isFinite ? (v - lo) / span : 0
            return UInt16((min(max(t, 0), 1) * 65535).rounded())
        }
        return (samples, lo, hi)
    }

    /// Values from a decoded gray PNG (8 or 16 bit; the first channel of colour ones). Without the text chunks,
    /// black is the range's minimum and white its maximum.
    static func values(_ png: DecodedPNG, range: ClosedRange<Float>) -> [Float] {
        let lo = png.text[minKey].flatMap(Float.init) ?? range.lowerBound
        let hi = png.text[maxKey].flatMap(Float.init) ?? range.upperBound
        let top = Float((1 << png.bitDepth) - 1)
        let channels = max(1, png.channels)
        return (0..<(png.width * png.height)).map { i in lo + (hi - lo) * Float(png.samples[i * channels]) / top }
    }
}
