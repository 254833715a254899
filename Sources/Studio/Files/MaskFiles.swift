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
        guard ["npy", "png"].contains(url.pathExtension.lowercased()) else {
            throw StudioError.format(what: "mask", reason: "\(url.lastPathComponent): use .png or .npy")
        }
        try map.write(to: url, range: range)
    }

    /// A mask file as a painted layer of the image's size; a gray PNG without its range chunks spans the slider's range.
    static func load(_ url: URL, width: Int, height: Int, range: ClosedRange<Float>) throws -> MaskLayer {
        guard ["npy", "png"].contains(url.pathExtension.lowercased()) else {
            throw StudioError.format(what: "mask", reason: "\(url.lastPathComponent): use .png or .npy")
        }
        let map = try IntensityMap(contentsOf: url, defaultRange: range)
        guard map.width == width, map.height == height else {
            throw StudioError.maskSize(path: url.path, expected: "\(width)x\(height)", found: "\(map.width)x\(map.height)")
        }
        return MaskLayer(width: width, height: height, values: map.values)
    }

    static func pngSamples(_ values: [Float], range: ClosedRange<Float>) -> (samples: [UInt16], lo: Float, hi: Float) {
        IntensityMap(width: values.count, height: 1, values: values).pngSamples(range: range)
    }

    static func values(_ png: DecodedPNG, range: ClosedRange<Float>) -> [Float] {
        IntensityMap(gray: png, defaultRange: range).values
    }
}
