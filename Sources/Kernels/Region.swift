/// A half-open rectangle `[top, bottom) x [left, right)` of an activation plane, in that tensor's own pixels.
public struct Region: Hashable, Sendable, CustomStringConvertible {
    public var top: Int, bottom: Int, left: Int, right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }

    public static let empty = Region(top: 0, bottom: 0, left: 0, right: 0)

    /// The whole plane of a `height x width` tensor.
    public static func all(height: Int, width: Int) -> Region { Region(top: 0, bottom: height, left: 0, right: width) }

    public var isEmpty: Bool { bottom <= top || right <= left }
    public var height: Int { max(0, bottom - top) }
    public var width: Int { max(0, right - left) }
    public var area: Int { isEmpty ? 0 : height * width }
    public var description: String { isEmpty ? "∅" : "[\(top)..<\(bottom), \(left)..<\(right)]" }

    /// The smallest region holding both.
    public func union(_ other: Region) -> Region {
        if isEmpty { return other }
        if other.isEmpty { return self }
        return Region(top: min(top, other.top), bottom: max(bottom, other.bottom),
                      left: min(left, other.left), right: max(right, other.right))
    }

    /// The pixels in both (empty when they do not overlap).
    public func intersection(_ other: Region) -> Region {
        let r = Region(top: max(top, other.top), bottom: min(bottom, other.bottom),
                       left: max(left, other.left), right: min(right, other.right))
        return r.isEmpty ? .empty : r
    }

    /// The same area of a plane `factor` times smaller (or larger), rounded outward.
    public func scaled(by factor: Double) -> Region {
        if isEmpty { return self }
        return Region(top: Int((Double(top) * factor).rounded(.down)), bottom: Int((Double(bottom) * factor).rounded(.up)),
                      left: Int((Double(left) * factor).rounded(.down)), right: Int((Double(right) * factor).rounded(.up)))
    }

    public func expanded(by d: Int) -> Region {
        isEmpty ? self : Region(top: top - d, bottom: bottom + d, left: left - d, right: right + d)
    }

    public func clipped(height: Int, width: Int) -> Region {
        let r = Region(top: max(0, top), bottom: min(height, bottom), left: max(0, left), right: min(width, right))
        return r.isEmpty ? .empty : r
    }

    public func contains(y: Int, x: Int) -> Bool { y >= top && y < bottom && x >= left && x < right }

    /// Whether every pixel of `other` lies in this region (an empty one always does).
    public func contains(_ other: Region) -> Bool {
        other.isEmpty || (other.top >= top && other.bottom <= bottom && other.left >= left && other.right <= right)
    }

    /// The same rectangle moved down by `dy` and right by `dx`.
    public func offsetBy(dy: Int, dx: Int) -> Region {
        isEmpty ? self : Region(top: top + dy, bottom: bottom + dy, left: left + dx, right: right + dx)
    }
}

extension Tensor {
    /// The region of every channel as a new tensor; parts outside the plane read as zero (a convolution's padding).
    /// Written in one pass into fresh (huge-page advised, pooled) storage: a tile's patches are large, and a zero-filled
    /// array would fault every page in twice.
    public func extracting(_ r: Region) -> Tensor {
        let s = shape
        let out = Shape(n: s.n, c: s.c, h: r.height, w: r.width)
        let y0 = max(r.top, 0), y1 = min(r.bottom, s.h), x0 = max(r.left, 0), x1 = min(r.right, s.w)
        return Tensor(uninitializedShape: out) { dst in
            scalars.withUnsafeBufferPointer { src in
                // Split over the planes: a tile's patches are copied for every convolution, and on one thread they
                // left the second core idle for a sixth of a 3 MP tiled run.
                ThreadPolicy.chunks(s.n * s.c, elements: out.count) { planes in
                for plane in planes {
                    let q = dst.baseAddress! + plane * out.plane
                    for y in 0..<out.h {
                        let row = q + y * out.w
                        let sy = r.top + y
                        guard sy >= y0, sy < y1, x1 > x0 else { row.update(repeating: 0, count: out.w); continue }
                        let before = x0 - r.left, inside = x1 - x0
                        if before > 0 { row.update(repeating: 0, count: before) }
                        (row + before).update(from: src.baseAddress! + plane * s.plane + sy * s.w + x0, count: inside)
                        let after = out.w - before - inside
                        if after > 0 { (row + before + inside).update(repeating: 0, count: after) }
                    }
                }
                }
            }
        }
    }

    /// Writes `patch` (same N and C) into this tensor with its top-left corner at (`top`, `left`).
    public mutating func paste(_ patch: Tensor, top: Int, left: Int) {
        let s = shape, p = patch.shape
        precondition(p.n == s.n && p.c == s.c && top >= 0 && left >= 0 && top + p.h <= s.h && left + p.w <= s.w,
                     "paste: \(p) at (\(top), \(left)) into \(s)")
        scalars.withUnsafeMutableBufferPointer { dst in
            patch.scalars.withUnsafeBufferPointer { src in
                for plane in 0..<(s.n * s.c) {
                    for y in 0..<p.h {
                        (dst.baseAddress! + plane * s.plane + (top + y) * s.w + left)
                            .update(from: src.baseAddress! + plane * p.plane + y * p.w, count: p.w)
                    }
                }
            }
        }
    }
}
