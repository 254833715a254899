import Engine
import Foundation
import ImageIO

/// A side effect the state machine asks for; the runtime performs it and reports back with an `Event`.
enum Command: Sendable {
    /// Render this; cancels any render still running (latest wins).
    case render(RenderRequest)
    case loadImage(document: Int, url: URL)
    /// Save the session now (already debounced by the state machine).
    case saveSession(SessionSnapshot)
    case export(ExportRequest)
    case cancelExport(id: Int)
    case loadMask(document: Int, url: URL, width: Int, height: Int, range: ClosedRange<Float>)
    case saveMask(url: URL, intensity: IntensityMap, range: ClosedRange<Float>)
    /// Start `monopix train` as a child (its output to the launch's log file) and follow its metrics.
    case startTraining(TrainingLaunch)
    /// SIGINT to the child (it checkpoints and exits); `force`: SIGTERM.
    case stopTraining(force: Bool)
    /// Clear the terminal and draw everything again (Ctrl-L).
    case redraw
    /// Ends the loop; a training child still running gets SIGINT, a few seconds, then SIGTERM.
    case quit
}

/// One render: the image, what was painted over it and the level for the rest. Requests share the mask's storage
/// with the state (no copy on the UI thread); a dab painted while a request is in flight copies the mask once,
/// since at most one preview is in flight at a time. Sampling down, when a preview needs it, happens in the render
/// task.
struct RenderRequest: Sendable {
    var id: Int
    var document: Int
    var image: RGBImage
    var mask: MaskLayer?
    var level: Float
    /// False for a quick low-resolution preview.
    var exact: Bool
    /// A preview of a level change: answered by the engine's cached levels when it has them, otherwise rendered
    /// with the long side sampled down to this.
    var lowResolutionSide: Int? = nil
    /// A preview of a stroke being painted: the engine may answer with a fast approximate frame at full size.
    var strokePreview = false
    /// How many pixels a proxy of a large photo needs for what the canvas shows (`StudioState.displayPixels`).
    var displayPixels: Int? = nil

    /// What the engine keeps frames of: the image and the painted values (NaN follows the level).
    var subject: ScrubSubject { ScrubSubject(image: image, painted: mask?.values) }

    /// The engine's input, resolved (done in the render task, off the UI thread).
    func intensity() -> IntensityMap {
        if let mask { return IntensityMap(width: mask.width, height: mask.height, values: mask.resolved(level: level)) }
        return IntensityMap(width: image.width, height: image.height, constant: level)
    }

    /// A preview request: image and mask sampled down (nearest pixel) so the long side is at most `side`.
    static func preview(id: Int, document: Int, image: RGBImage, mask: MaskLayer?, level: Float, side: Int) -> RenderRequest {
        guard max(image.width, image.height) > side else {
            return RenderRequest(id: id, document: document, image: image, mask: mask, level: level, exact: false)
        }
        let k = Float(side) / Float(max(image.width, image.height))
        let w = max(1, Int(Float(image.width) * k)), h = max(1, Int(Float(image.height) * k))
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        var values = [Float](repeating: .nan, count: w * h)
        for y in 0..<h {
            let sy = min(image.height - 1, Int((Float(y) + 0.5) / k))
            for x in 0..<w {
                let sx = min(image.width - 1, Int((Float(x) + 0.5) / k))
                let s = (sy * image.width + sx) * 3, d = (y * w + x) * 3
                pixels[d] = image.pixels[s]; pixels[d + 1] = image.pixels[s + 1]; pixels[d + 2] = image.pixels[s + 2]
                if let mask { values[y * w + x] = mask[sx, sy] }
            }
        }
        return RenderRequest(id: id, document: document, image: RGBImage(width: w, height: h, pixels: pixels),
                             mask: mask == nil ? nil : MaskLayer(width: w, height: h, values: values), level: level, exact: false)
    }
}

/// One image of a batch export.
public struct ExportJob: Sendable {
    /// The source image file.
    public var image: URL
    /// The image's global level (what unpainted pixels get).
    public var level: Float
    /// What was painted, NaN where nothing was (those pixels follow `level`); nil when nothing was painted, or
    /// when the mask is only on disk (then `paintedFile` names it).
    public var painted: IntensityMap?
    /// The session's `.npy` of this image's painted layer (NaN = unpainted), when it was not in memory.
    public var paintedFile: URL?

    public init(image: URL, level: Float, painted: IntensityMap?, paintedFile: URL? = nil) {
        self.image = image
        self.level = level
        self.painted = painted
        self.paintedFile = paintedFile
    }

    /// The intensity map the engine takes for the spatial result (for an image of this size).
    public func intensity(width: Int, height: Int) -> IntensityMap {
        guard let painted, painted.width == width, painted.height == height else {
            return IntensityMap(width: width, height: height, constant: level)
        }
        return IntensityMap(width: width, height: height, values: painted.values.map { $0.isNaN ? level : $0 })
    }
}

/// A batch export: for each job, the uniform trajectory (one image per level, named like the reference's
/// `{image}_enhlvl_{int(10·level):02d}.png`, plus `_enhlvl_99` = the input), the spatial result with the painted
/// mask, and the mask itself (16-bit PNG with `monopix:min`/`monopix:max`, and `.npy`).
public struct ExportRequest: Sendable {
    public enum Scope: String, Sendable {
        case currentImage, folder
    }

    public var id: Int
    public var scope: Scope
    public var jobs: [ExportJob]
    /// Levels of the trajectory: `linspace(range.lower, range.upper, 11)` by default.
    public var trajectory: [Float]
    public var range: ClosedRange<Float>
    /// Where the files go (one folder per image inside it).
    public var outputDirectory: URL
}

/// Progress of an export, reported by whoever runs it.
public struct ExportProgress: Sendable, Equatable {
    public var id: Int
    public var completed: Int
    public var total: Int
    /// What is being done now ("cat.png level 0.3").
    public var message: String
    public var finished: Bool
    /// Set when the export stopped on an error (or was cancelled: "cancelled").
    public var error: String?

    public init(id: Int, completed: Int, total: Int, message: String, finished: Bool = false, error: String? = nil) {
        self.id = id
        self.completed = completed
        self.total = total
        self.message = message
        self.finished = finished
        self.error = error
    }
}

/// Runs batch exports; the engine side implements it. Cancellation arrives as `Task` cancellation.
public protocol ExportRunner: Sendable {
    func run(_ request: ExportRequest, progress: @escaping @Sendable (ExportProgress) -> Void) async throws
}
