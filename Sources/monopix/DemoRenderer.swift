import Engine
import ImageIO
import Studio

/// A visibly fake renderer for trying the studio without the engine (`--demo-renderer`, hidden): it brightens
/// each pixel towards white by its intensity and tints it blue, after a short pause so that cancellation and
/// previews can be seen. The status line calls it "demo renderer": it is not MonoPix.
struct DemoRenderer: FrameRenderer {
    var description: String { "demo renderer (fake: brightens by intensity)" }

    func render(image: RGBImage, intensity: IntensityMap) async throws -> RGBImage {
        try await Task.sleep(nanoseconds: 60_000_000)
        var out = image
        for y in 0..<image.height {
            try Task.checkCancellation()
            for i in (y * image.width)..<((y + 1) * image.width) {
                let a = intensity.values[i]
                for c in 0..<3 {
                    let v = Float(image.pixels[3 * i + c])
                    let target: Float = c == 2 ? 255 : 235
                    out.pixels[3 * i + c] = UInt8(min(max(v + a * (target - v), 0), 255))
                }
            }
        }
        return out
    }
}
