import Foundation
import ImageIO
import Model

/// Intensity masks on disk:
/// - `.npy`: float32 HxW, exact (also accepted: [1, H, W], [1, 1, H, W], other numeric dtypes);
/// - grayscale PNG (8- or 16-bit): 0…max maps linearly onto [min, max] from the text chunks `monopix:min` /
///   `monopix:max` (default [0, 1]), so GIMP can paint one and we can write one GIMP opens;
/// - colour PNG with a `MaskPalette`, as the reference's colour-coded demo masks.
extension IntensityMap {
    public static let minKey = "monopix:min"
    public static let maxKey = "monopix:max"

    /// `defaultRange` is what a gray PNG without the text chunks spans (black → lower, white → upper).
    public init(contentsOf url: URL, palette: MaskPalette? = nil, defaultRange: ClosedRange<Float> = 0...1) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw EngineError.missingFile(url.path, what: "mask") }
        if url.pathExtension.lowercased() == "npy" {
            let a = try NumpyArray(contentsOf: url)
            let dims = a.shape.filter { $0 != 1 }
            guard a.shape.count >= 2, dims.count <= 2 else {
                throw EngineError.invalidArgument("\(url.path): mask shape \(a.shape), expected HxW")
            }
            let h = a.shape[a.shape.count - 2], w = a.shape[a.shape.count - 1]
            guard h * w == a.values.count else { throw EngineError.invalidArgument("\(url.path): mask shape \(a.shape), expected HxW") }
            self.init(width: w, height: h, values: a.values)
            return
        }
        let png = try PNGFile.read(url)
        let plane = png.width * png.height
        if png.channels <= 2 {
            self.init(gray: png, defaultRange: defaultRange)
            return
        }
        guard let palette else {
            throw EngineError.invalidArgument("\(url.path): a colour mask needs --palette (e.g. 'white=0.7,red=-0.5,*=-2')")
        }
        let scale = png.bitDepth == 16 ? 257 : 1
        var values = [Float](repeating: 0, count: plane)
        for i in 0..<plane {
            let r = UInt8(png.samples[i * png.channels] / UInt16(scale)), g = UInt8(png.samples[i * png.channels + 1] / UInt16(scale)),
                b = UInt8(png.samples[i * png.channels + 2] / UInt16(scale))
            guard let level = palette.level(red: r, green: g, blue: b) else {
                throw EngineError.invalidArgument(String(format: "%@: colour #%02x%02x%02x at (%d, %d) is not in the palette (add it, or '*=LEVEL')",
                                                         url.path, r, g, b, i % png.width, i / png.width))
            }
            values[i] = level
        }
        self.init(width: png.width, height: png.height, values: values)
    }

    /// A gray PNG's first channel mapped linearly from 0…max onto the range in its text chunks, else `defaultRange`.
    public init(gray png: DecodedPNG, defaultRange: ClosedRange<Float> = 0...1) {
        let lo = png.text[Self.minKey].flatMap(Float.init) ?? defaultRange.lowerBound
        let hi = png.text[Self.maxKey].flatMap(Float.init) ?? defaultRange.upperBound
        let full = Float((1 << png.bitDepth) - 1)
        let channels = max(1, png.channels)
        self.init(width: png.width, height: png.height,
                  values: (0..<(png.width * png.height)).map { lo + (hi - lo) * Float(png.samples[$0 * channels]) / full })
    }

    /// Writes `.npy` (exact, NaN kept) or a 16-bit grayscale PNG whose range is stored in its text chunks; atomically.
    /// The PNG's range is `range` widened to every finite value (so nothing is clipped); NaN is written as the minimum.
    public func write(to url: URL, range: ClosedRange<Float>? = nil) throws {
        if url.pathExtension.lowercased() == "npy" {
            try NumpyArray(shape: [height, width], values: values).write(to: url)
            return
        }
        let (samples, lo, hi) = pngSamples(range: range)
        try PNGFile.writeGray(width: width, height: height, samples: samples, bitDepth: 16,
                              text: [Self.minKey: "\(lo)", Self.maxKey: "\(hi)"], to: url)
    }

    /// The 16-bit samples of `write(to:range:)` and the range they span.
    public func pngSamples(range: ClosedRange<Float>? = nil) -> (samples: [UInt16], lo: Float, hi: Float) {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 0
        if let range { lo = min(lo, range.lowerBound); hi = max(hi, range.upperBound) }
        if hi <= lo { hi = lo + 1 }
        let samples = values.map { v -> UInt16 in
            let t = v.isFinite ? (v - lo) / (hi - lo) : 0
            return UInt16((min(max(t, 0), 1) * 65535).rounded())
        }
        return (samples, lo, hi)
    }
}
