import ImageIO
import Kernels

extension Tensor {
    /// An 8-bit image as [1, 3, H, W] in [-1, 1], computed as the reference does: `(u8 / 255 - 0.5) * 2` in double.
    public init(image: RGBImage) {
        let plane = image.width * image.height
        let lut = (0..<256).map { Float((Double($0) / 255 - 0.5) * 2) }
        self.init(uninitializedShape: Shape(n: 1, c: 3, h: image.height, w: image.width)) { dst in
            image.pixels.withUnsafeBufferPointer { src in
                for i in 0..<plane {
                    dst[i] = lut[Int(src[3 * i])]
                    dst[plane + i] = lut[Int(src[3 * i + 1])]
                    dst[2 * plane + i] = lut[Int(src[3 * i + 2])]
                }
            }
        }
    }

    /// Stacks images of one size into a batch [N, 3, H, W].
    public init(images: [RGBImage]) {
        self = concatBatch(images.map { Tensor(image: $0) })
    }

    /// A per-pixel intensity map as [1, 1, H, W].
    public init(map: IntensityMap) {
        self.init(shape: Shape(n: 1, c: 1, h: map.height, w: map.width), scalars: map.values)
    }
}

extension RGBImage {
    /// Sample `index` of a [N, 3, H, W] tensor as 8-bit, as the reference saves outputs: clamp to [-1, 1], then
    /// `((y + 1) / 2 * 255)` in float32, truncated (numpy's `astype(uint8)`), not rounded.
    public init(tensor: Tensor, index: Int = 0) {
        let s = tensor.shape
        precondition(s.c == 3 && index < s.n, "RGBImage(tensor:): shape \(s), index \(index)")
        var pixels = [UInt8](repeating: 0, count: s.plane * 3)
        tensor.scalars.withUnsafeBufferPointer { src in
            let base = src.baseAddress! + index * 3 * s.plane
            for c in 0..<3 {
                for i in 0..<s.plane {
                    let v = Swift.min(Swift.max(base[c * s.plane + i], -1), 1)
                    pixels[3 * i + c] = UInt8((v + 1) / 2 * 255)
                }
            }
        }
        self.init(width: s.w, height: s.h, pixels: pixels)
    }
}
