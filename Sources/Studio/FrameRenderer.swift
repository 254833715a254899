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

    /// The exact frame of `subject` at `level`. Renderers that keep frames for scrubbing override this (it knows
    /// what was painted and what follows the level); the default resolves the map and calls `render`.
    func render(_ subject: ScrubSubject, level: Float) async throws -> RGBImage

    /// A frame of `subject` at `level` at once, without running the network (e.g. blended from frames already
    /// rendered at nearby levels), or nil when there is none. `exact` says it is a rendered frame, not a blend.
    func instantFrame(of subject: ScrubSubject, level: Float) -> (image: RGBImage, exact: Bool)?

    /// A fast approximate frame while the user paints (e.g. the stroke's regions recomputed at reduced precision),
    /// at full size; nil when the renderer has none (the studio then renders a copy sampled down). The next exact
    /// render must be exact everywhere, including where previews were shown.
    func renderPreview(_ subject: ScrubSubject, level: Float) async throws -> RGBImage?

    /// The exact frame's pixels `left..<left+width` x `top..<top+height` at the photo's full resolution, for
    /// renderers that show a proxy of large photos (the view is zoomed in past it); nil when the frames are full
    /// size already or the region is more than the renderer takes on.
    func renderDetail(_ subject: ScrubSubject, level: Float, left: Int, top: Int, width: Int, height: Int) async throws -> RGBImage?

    /// How many pixels what the canvas shows needs of a photo (the renderer may give its proxies fewer, never
    /// more than the photo has); called before each request that carries it.
    func setDisplayPixels(_ pixels: Int)
}

extension FrameRenderer {
    public func render(_ subject: ScrubSubject, level: Float) async throws -> RGBImage {
        try await render(image: subject.image, intensity: subject.intensity(at: level))
    }

    public func instantFrame(of subject: ScrubSubject, level: Float) -> (image: RGBImage, exact: Bool)? { nil }

    public func renderPreview(_ subject: ScrubSubject, level: Float) async throws -> RGBImage? { nil }

    public func renderDetail(_ subject: ScrubSubject, level: Float, left: Int, top: Int, width: Int, height: Int) async throws -> RGBImage? { nil }

    public func setDisplayPixels(_ pixels: Int) {}
}
