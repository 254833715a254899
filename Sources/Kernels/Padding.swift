/// Padding on the four sides of an image, in pixels.
public struct Insets: Hashable, Sendable {
    public var top: Int, bottom: Int, left: Int, right: Int

    public init(top: Int = 0, bottom: Int = 0, left: Int = 0, right: Int = 0) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }

    /// The reference's `pad_tensor`: each side grows to a multiple of `multiple`, the smaller half before.
    public static func toMultiple(of multiple: Int, height: Int, width: Int) -> Insets {
        func split(_ size: Int) -> (Int, Int) {
            let rem = size % multiple
            guard rem != 0 else { return (0, 0) }
            let total = multiple - rem
            return (total / 2, total - total / 2)
        }
        let (t, b) = split(height), (l, r) = split(width)
        return Insets(top: t, bottom: b, left: l, right: r)
    }

    public var isZero: Bool { top == 0 && bottom == 0 && left == 0 && right == 0 }
}

/// Where padded index `i` (0 = the first real pixel) reads from in a plane of `size` under ReflectionPad2d: the
/// border pixel is the mirror, not repeated. Valid while the padding is smaller than the plane.
@inline(__always)
public func reflectedIndex(_ i: Int, size: Int) -> Int { i < 0 ? -i : (i >= size ? 2 * (size - 1) - i : i) }

/// PyTorch's ReflectionPad2d: the border pixel is the mirror, not repeated.
public func reflectionPad(_ x: Tensor, _ p: Insets) -> Tensor {
    if p.isZero { return x }
    let s = x.shape
    precondition(p.top < s.h && p.bottom < s.h && p.left < s.w && p.right < s.w,
                 "reflectionPad: padding \(p) must be smaller than the image \(s)")
    let out = Shape(n: s.n, c: s.c, h: s.h + p.top + p.bottom, w: s.w + p.left + p.right)
    let columns = (0..<out.w).map { reflectedIndex($0 - p.left, size: s.w) }
    return Tensor(uninitializedShape: out) { dst in
        x.scalars.withUnsafeBufferPointer { src in
            ThreadPolicy.chunks(s.n * s.c, elements: out.count) { planes in
                for plane in planes {
                    let q = dst.baseAddress! + plane * out.plane
                    let base = src.baseAddress! + plane * s.plane
                    for oy in 0..<out.h {
                        let row = base + reflectedIndex(oy - p.top, size: s.h) * s.w
                        let o = q + oy * out.w
                        for ox in 0..<out.w { o[ox] = row[columns[ox]] }
                    }
                }
            }
        }
    }
}

/// The inverse of padding: removes `p` pixels from each side.
public func crop(_ x: Tensor, _ p: Insets) -> Tensor {
    if p.isZero { return x }
    let s = x.shape
    let out = Shape(n: s.n, c: s.c, h: s.h - p.top - p.bottom, w: s.w - p.left - p.right)
    return Tensor(uninitializedShape: out) { dst in
        x.scalars.withUnsafeBufferPointer { src in
            ThreadPolicy.chunks(s.n * s.c, elements: out.count) { planes in
                for plane in planes {
                    for oy in 0..<out.h {
                        let from = src.baseAddress! + plane * s.plane + (oy + p.top) * s.w + p.left
                        (dst.baseAddress! + plane * out.plane + oy * out.w).update(from: from, count: out.w)
                    }
                }
            }
        }
    }
}
