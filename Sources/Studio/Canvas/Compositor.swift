import Foundation
import ImageIO

/// Draws the canvas: each pane's image at its zoom and pan, the mask overlay, the wipe divider and the markers.
/// Pure (a function of its arguments) and costly, so the runtime calls it off the UI thread.
enum Compositor {
    static let background: (UInt8, UInt8, UInt8) = (28, 28, 32)

    static func compose(_ spec: CanvasSpec, _ sources: CanvasSources) -> RGBImage {
        let width = max(1, spec.pixelWidth), height = max(1, spec.pixelHeight)
        var image = RGBImage(width: width, height: height, red: background.0, green: background.1, blue: background.2)
        let lut = colourMap()
        image.pixels.withUnsafeMutableBufferPointer { out in
            for pane in spec.panes {
                drawPane(pane, spec: spec, sources: sources, lut: lut, into: out, width: width, height: height)
            }
        }
        for pane in spec.panes {
            drawMarkers(spec.markers, pane: pane, spec: spec, into: &image)
        }
        return image
    }

    /// A perceptual map (viridis' five anchors) from the range's bottom to its top.
    static func colourMap() -> [(UInt8, UInt8, UInt8)] {
        let anchors: [(Float, Float, Float)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        return (0..<256).map { i in
            let t = Float(i) / 255 * Float(anchors.count - 1)
            let k = min(anchors.count - 2, Int(t)), f = t - Float(k)
            let a = anchors[k], b = anchors[k + 1]
            return (UInt8(a.0 + (b.0 - a.0) * f), UInt8(a.1 + (b.1 - a.1) * f), UInt8(a.2 + (b.2 - a.2) * f))
        }
    }

    /// Per view column (and row) the image pixel sampled, -1 outside the image: the mapping is separable, so it is
    /// computed once per axis. Below 0.75 view pixels per image pixel, two samples per axis are averaged.
    private static func samples(count: Int, center: Float, scale: Float, limit: Int, offset: Float) -> [Int] {
        (0..<count).map { v in
            let p = center + (Float(v) + 0.5 + offset - Float(count) / 2) / scale
            return p >= 0 && p < Float(limit) ? Int(p) : -1
        }
    }

    private static func drawPane(_ pane: CanvasPane, spec: CanvasSpec, sources: CanvasSources,
                                 lut: [(UInt8, UInt8, UInt8)], into out: UnsafeMutableBufferPointer<UInt8>,
                                 width: Int, height: Int) {
        let vp = pane.viewport
        let originX = Int(Float(vp.rect.x - spec.rect.x) * spec.pixelsPerCell.x)
        let originY = Int(Float(vp.rect.y - spec.rect.y) * spec.pixelsPerCell.y)
        let vw = min(vp.viewWidth, width - originX), vh = min(vp.viewHeight, height - originY)
        guard vw > 0, vh > 0 else { return }
        let s = vp.scale
        let offsets: [Float] = s < 0.75 ? [-0.25, 0.25] : [0]
        let xs = offsets.map { samples(count: vw, center: vp.centerX, scale: s, limit: vp.imageWidth, offset: $0) }
        let ys = offsets.map { samples(count: vh, center: vp.centerY, scale: s, limit: vp.imageHeight, offset: $0) }
        let input = sources.input
        let output = sources.output ?? input
        let iw = input.width, ih = input.height
        let (lo, hi) = (spec.range.lowerBound, spec.range.upperBound)
        let opacity = min(max(spec.overlayOpacity, 0), 1)
        let divider: Int? = { if case .wipe(let d) = pane.content { return Int(d * Float(vw)) }; return nil }()
        let n = offsets.count * offsets.count

        // A detail frame of another size than its region (a bug elsewhere) is ignored rather than read past.
        let detail = sources.detail.flatMap { d in
            d.image.width == d.region.width && d.image.height == d.region.height && output.width < iw ? d : nil
        }
        let detailPixels = detail?.image.pixels ?? []
        input.pixels.withUnsafeBufferPointer { inp in
        output.pixels.withUnsafeBufferPointer { outp in
        detailPixels.withUnsafeBufferPointer { detp in
            for vy in 0..<vh {
                let row = ((originY + vy) * width + originX) * 3
                for vx in 0..<vw {
                    var r = 0, g = 0, b = 0, hits = 0
                    for sy in ys { for sx in xs {
                        let ix = sx[vx], iy = sy[vy]
                        guard ix >= 0, iy >= 0 else { continue }
                        let useOutput: Bool
                        switch pane.content {
                        case .input, .overlay: useOutput = false
                        case .output: useOutput = true
                        case .wipe: useOutput = vx >= divider!
                        }
                        var p: (Int, Int, Int)
                        if useOutput, let d = detail, ix >= d.region.x, iy >= d.region.y, ix < d.region.maxX, iy < d.region.maxY {
                            let o = ((iy - d.region.y) * d.region.width + ix - d.region.x) * 3
                            p = (Int(detp[o]), Int(detp[o + 1]), Int(detp[o + 2]))
                        } else if useOutput {
                            let ox = ix * output.width / iw, oy = iy * output.height / ih
                            let o = (oy * output.width + ox) * 3
                            p = (Int(outp[o]), Int(outp[o + 1]), Int(outp[o + 2]))
                        } else {
                            let o = (iy * iw + ix) * 3
                            p = (Int(inp[o]), Int(inp[o + 1]), Int(inp[o + 2]))
                        }
                        if case .overlay = pane.content {
                            let v = sources.mask.map { $0.value(x: ix, y: iy, level: spec.level) } ?? spec.level
                            let t = hi > lo ? min(max((v - lo) / (hi - lo), 0), 1) : 1
                            let c = lut[Int(t * 255)]
                            p = (Int(Float(p.0) * (1 - opacity) + Float(c.0) * opacity),
                                 Int(Float(p.1) * (1 - opacity) + Float(c.1) * opacity),
                                 Int(Float(p.2) * (1 - opacity) + Float(c.2) * opacity))
                        }
                        r += p.0; g += p.1; b += p.2; hits += 1
                    } }
                    guard hits > 0 else { continue }
                    // Partly covered edge pixels blend with the background.
                    let missing = n - hits
                    let o = row + vx * 3
                    out[o] = UInt8((r + missing * Int(background.0)) / n)
                    out[o + 1] = UInt8((g + missing * Int(background.1)) / n)
                    out[o + 2] = UInt8((b + missing * Int(background.2)) / n)
                }
                if let d = divider, d >= 0, d < vw {
                    for x in max(0, d - 1)...min(vw - 1, d) {
                        let o = row + x * 3
                        out[o] = 255; out[o + 1] = 255; out[o + 2] = 255
                    }
                }
            }
        }
        }
        }
    }

    /// Brush outlines (white with a dark edge, visible on any image) and crosses.
    private static func drawMarkers(_ markers: [CanvasMarker], pane: CanvasPane, spec: CanvasSpec, into image: inout RGBImage) {
        let vp = pane.viewport
        let originX = Float(vp.rect.x - spec.rect.x) * spec.pixelsPerCell.x
        let originY = Float(vp.rect.y - spec.rect.y) * spec.pixelsPerCell.y
        let vw = Float(vp.viewWidth), vh = Float(vp.viewHeight)
        func plot(_ x: Float, _ y: Float, _ c: UInt8) {
            guard x >= 0, y >= 0, x < vw, y < vh else { return }
            let px = Int(originX + x), py = Int(originY + y)
            guard px >= 0, py >= 0, px < image.width, py < image.height else { return }
            let o = (py * image.width + px) * 3
            image.pixels[o] = c; image.pixels[o + 1] = c; image.pixels[o + 2] = c
        }
        for m in markers {
            let c = vp.viewPoint(imageX: m.x, imageY: m.y)
            let arm = max(2, spec.pixelsPerCell.x / 2)
            for d in stride(from: -arm, through: arm, by: 1) {
                plot(c.x + d, c.y, 255)
                plot(c.x, c.y + d, 255)
            }
            let r = m.radius * vp.scale
            guard r >= 2 else { continue }
            let steps = Int(max(16, 2 * Float.pi * r))
            for i in 0..<steps {
                let a = Float(i) / Float(steps) * 2 * Float.pi
                plot(c.x + (r + 1) * cosf(a), c.y + (r + 1) * sinf(a), 0)
                plot(c.x + r * cosf(a), c.y + r * sinf(a), 255)
            }
        }
    }
}
