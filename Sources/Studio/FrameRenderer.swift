import Engine
import ImageIO

/// The seam between the studio and the inference engine: turn an image and a per-pixel intensity map into the
/// translated image.
///
/// The studio calls `render` off its UI thread, at most one call in flight per studio; when the user changes the
/// mask or the level again before a call returns, the studio cancels that call's `Task` and starts a new one
/// (latest wins), so implementations should check `Task.isCancelled` / `Task.checkCancellation()` between
/// expensive stages. The returned image must have the input's width and height.
public protocol FrameRenderer: Sendable {
    /// What the status line says is rendering (e.g. "summer2winter G_A epoch 200, 4 threads").
    var description: String { get }

    func render(image: RGBImage, intensity: IntensityMap) async throws -> RGBImage
}
