import Foundation
import ImageIO
import Kernels
import Model

/// The generator's inputs cut from an 8-bit photo region by region, with the values a whole-image pass uses: the
/// image as `(u8 / 255 - 0.5) * 2`, the attention map in double from the 8-bit pixels (`Generator.attentionMap(u8:)`),
/// the mask's values, and the noise channel drawn at each pixel's index of the padded plane (`standardNormal`), all
/// through the reference's reflection padding.
public struct PhotoTileInputs: TileInputs {
    public let image: RGBImage
    public let map: IntensityMap?
    public let noiseSeed: UInt64

    public init(image: RGBImage, map: IntensityMap? = nil, noiseSeed: UInt64 = 0) {
        precondition(map.map { $0.width == image.width && $0.height == image.height } ?? true, "PhotoTileInputs: map and image sizes differ")
        self.image = image
        self.map = map
        self.noiseSeed = noiseSeed
    }

    public var height: Int { image.height }
    public var width: Int { image.width }

    private static let unit: [Float] = (0..<256).map { Float((Double($0) / 255 - 0.5) * 2) }

    public func values(_ which: GeneratorGraph.Input, in region: Region) -> Tensor {
        let w = image.width
        switch which {
        case .image:
            let lut = Self.unit
            return image.pixels.withUnsafeBufferPointer { p in
                gatherReflected(region, padding: padding, height: height, width: w, channels: 3) { c, y, x in lut[Int(p[3 * (y * w + x) + c])] }
            }
        case .gray:
            return image.pixels.withUnsafeBufferPointer { p in
                gatherReflected(region, padding: padding, height: height, width: w, channels: 1) { _, y, x in
                    let i = 3 * (y * w + x)
                    return Generator.attention(red: p[i], green: p[i + 1], blue: p[i + 2])
                }
            }
        case .intensity:
            guard let map else { preconditionFailure("PhotoTileInputs: no intensity map") }
            return map.values.withUnsafeBufferPointer { v in
                gatherReflected(region, padding: padding, height: height, width: w, channels: 1) { _, y, x in v[y * w + x] }
            }
        case .noise:
            let pw = paddedWidth
            var t = Tensor(shape: Shape(n: 1, c: 1, h: region.height, w: region.width))
            for y in 0..<region.height {
                for x in 0..<region.width {
                    t.scalars[y * region.width + x] = standardNormal(at: (region.top + y) * pw + region.left + x, seed: noiseSeed)
                }
            }
            return t
        }
    }
}
