import Kernels

/// The graph's inputs over any rectangle of the padded planes, made when a tile asks for them: a tiled run never
/// holds a photo-sized float tensor. Regions are in padded-plane pixels and lie inside the plane; the padding is the
/// reference's (`Insets.toMultiple(of: 16, …)`, reflection).
public protocol TileInputs: Sendable {
    /// The unpadded image size.
    var height: Int { get }
    var width: Int { get }
    /// Input `which` over `region` of the padded plane, [1, C, region.height, region.width]. `.intensity` is asked
    /// only of inputs that carry a per-pixel map (a run at fixed levels makes its own planes).
    func values(_ which: GeneratorGraph.Input, in region: Region) -> Tensor
}

extension TileInputs {
    /// The reflection padding to the network's 16-pixel grid.
    public var padding: Insets { Insets.toMultiple(of: 16, height: height, width: width) }
    public var paddedHeight: Int { height + padding.top + padding.bottom }
    public var paddedWidth: Int { width + padding.left + padding.right }
}

/// Fills `channels` planes over `region` of the padded plane, reading each pixel's source through the reflection:
/// `value(channel, sourceRow, sourceColumn)`.
@inline(__always)
public func gatherReflected(_ region: Region, padding: Insets, height: Int, width: Int, channels: Int,
                           _ value: (Int, Int, Int) -> Float) -> Tensor {
    let rows = (region.top..<region.bottom).map { reflectedIndex($0 - padding.top, size: height) }
    let columns = (region.left..<region.right).map { reflectedIndex($0 - padding.left, size: width) }
    let plane = region.area
    return Tensor(uninitializedShape: Shape(n: 1, c: channels, h: region.height, w: region.width)) { dst in
        for c in 0..<channels {
            for (y, sy) in rows.enumerated() {
                let row = dst.baseAddress! + c * plane + y * region.width
                for (x, sx) in columns.enumerated() { row[x] = value(c, sy, sx) }
            }
        }
    }
}

/// Tile inputs cut from whole tensors (tests, and callers that already hold the image as floats): the same values
/// `Generator.prepareInputs` pads, region by region.
public struct TensorTileInputs: TileInputs {
    public let image: Tensor
    public let map: Tensor?
    /// At the padded size, as `Generator` takes it.
    public let noise: Tensor?
    public let gray: Tensor?

    /// `image` [1, 3, H, W] in [-1, 1]; `map` [1, 1, H, W] when the run follows a per-pixel map; `noise` [1, 1, H', W']
    /// padded; `gray` [1, 1, H, W] (derived from the image as `Generator` does when absent and the model wants it).
    public init(image: Tensor, map: Tensor? = nil, noise: Tensor? = nil, gray: Tensor? = nil, attention: Bool) {
        precondition(image.shape.n == 1 && image.shape.c == 3, "TensorTileInputs: one RGB image, not \(image.shape)")
        self.image = image
        self.map = map
        self.noise = noise
        self.gray = attention ? (gray ?? Generator.attentionMap(image)) : nil
    }

    public var height: Int { image.shape.h }
    public var width: Int { image.shape.w }

    public func values(_ which: GeneratorGraph.Input, in region: Region) -> Tensor {
        func gather(_ t: Tensor) -> Tensor {
            let s = t.shape
            return t.scalars.withUnsafeBufferPointer { p in
                gatherReflected(region, padding: padding, height: s.h, width: s.w, channels: s.c) { c, y, x in
                    p[(c * s.h + y) * s.w + x]
                }
            }
        }
        switch which {
        case .image: return gather(image)
        case .intensity: return gather(map!)
        case .gray: return gather(gray!)
        case .noise: return noise!.extracting(region)
        }
    }
}
