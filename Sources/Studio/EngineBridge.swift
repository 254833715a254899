import AtomicFiles
import Engine
import Kernels
import Foundation
import ImageIO
import Model

/// The inference engine behind the studio: one `LiveRenderer` keeps the current image's activations, so that a
/// stroke recomputes only what it reaches and a new level or image runs a full frame. Exact frames are kept in a
/// `ScrubLadder`; once the user pauses, the ladder's levels are rendered in the background, nearest first, so
/// that scrubbing the level shows a blend of the two nearest ones at once while the exact frame follows.
public struct EngineRenderer: FrameRenderer {
    let live: LiveRenderer
    let modulator: Modulator
    let ladder: ScrubLadder
    let filler = BackgroundFill()
    public let description: String

    /// How long the user must pause before the ladder is filled: a fill frame started between two dabs of a
    /// stroke would compete with the next dab for the cores.
    static let fillDelay: Duration = .milliseconds(300)

    public init(model: LoadedModel, range: ClosedRange<Float>, ladderLevels: Int = 11) {
        self.init(generator: model.generator, description: "\(model.config.string("name")) · \(model.checkpoint.lastPathComponent)",
                  range: range, ladderLevels: ladderLevels)
    }

    public init(generator: Generator, description: String, range: ClosedRange<Float>, ladderLevels: Int = 11) {
        live = LiveRenderer(generator: generator)
        modulator = Modulator(generator: generator)
        ladder = ScrubLadder(range: range, levels: ladderLevels)
        self.description = description
    }

    public func render(image: RGBImage, intensity: IntensityMap) async throws -> RGBImage {
        filler.cancel()
        return try await live.render(image: image, intensity: intensity)
    }

    public func render(_ subject: ScrubSubject, level: Float) async throws -> RGBImage {
        filler.cancel()
        let frame = try await live.render(image: subject.image, intensity: subject.intensity(at: level))
        ladder.remember(frame, of: subject, at: level)
        let ladder = self.ladder, modulator = self.modulator
        filler.start {
            try await Task.sleep(for: Self.fillDelay)
            while let next = ladder.nextLevel(for: subject, near: level) {
                try Task.checkCancellation()
                ladder.remember(try modulator.render(subject.image, map: subject.intensity(at: next)), of: subject, at: next)
            }
        }
        return frame
    }

    /// While painting: a stroke preview (bf16, recomputed near the dab only); the exact render at the stroke's end
    /// recomputes everything the stroke reached in f32.
    public func renderPreview(_ subject: ScrubSubject, level: Float) async throws -> RGBImage? {
        filler.cancel()
        return try await live.render(image: subject.image, intensity: subject.intensity(at: level), mode: .stroke)
    }

    public func instantFrame(of subject: ScrubSubject, level: Float) -> (image: RGBImage, exact: Bool)? {
        ladder.preview(of: subject, at: level)
    }

    /// Waits until the background fill is done (tests and the bench).
    public func waitForLadder() async { await filler.wait() }
}

/// The one background task filling the ladder; a new render cancels it.
final class BackgroundFill: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    func start(_ body: @escaping @Sendable () async throws -> Void) {
        lock.withLock {
            task?.cancel()
            task = Task.detached(priority: .utility) { try? await body() }
        }
    }

    func cancel() { lock.withLock { task?.cancel() } }

    func wait() async { await lock.withLock { task }?.value }
}

/// Runs the studio's batch export with the engine, in `monopix predict`'s layout:
/// `{output}/{name}_studio_exhaustive/{image}/{image}_enhlvl_{NN}.png` for the trajectory and `_enhlvl_99` for the
/// input, plus `{image}_spatial.png` (the painted result), `{image}_mask.png` (16-bit, range in its text chunks) and
/// `{image}_mask_view.png` (the mask in a colour map with a legend). Every file is written atomically.
public struct EngineExporter: ExportRunner {
    let modulator: Modulator
    let name: String

    public init(model: LoadedModel) {
        modulator = Modulator(generator: model.generator)
        name = model.config.string("name")
    }

    public func run(_ request: ExportRequest, progress: @escaping @Sendable (ExportProgress) -> Void) async throws {
        let layout = PredictionLayout(savePath: request.outputDirectory, name: name, tag: "studio", inferenceType: "exhaustive")
        let perImage = request.trajectory.count + 1
        let total = request.jobs.count * perImage
        var done = 0
        for job in request.jobs {
            let stem = PredictionLayout.stem(of: job.image)
            let image = try ImageFile.readRGB(job.image)
            let folder = layout.imageFolder(for: job.image)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            AtomicFile.sweepStale(in: folder)   // temporaries of an export that was killed
            try PNGFile.write(image, to: layout.inputFile(for: job.image))
            for level in request.trajectory {
                try Task.checkCancellation()
                progress(ExportProgress(id: request.id, completed: done, total: total, message: "\(stem) level \(Levels.fileTag(level))"))
                try PNGFile.write(try modulator.render(image, level: level), to: layout.levelFile(for: job.image, level: level))
                done += 1
            }
            try Task.checkCancellation()
            progress(ExportProgress(id: request.id, completed: done, total: total, message: "\(stem) spatial"))
            var painted = job.painted
            if painted == nil, let file = job.paintedFile, let array = try? NumpyArray(contentsOf: file), array.shape == [image.height, image.width] {
                painted = IntensityMap(width: image.width, height: image.height, values: array.values)
            }
            let map = ExportJob(image: job.image, level: job.level, painted: painted).intensity(width: image.width, height: image.height)
            try PNGFile.write(try modulator.render(image, map: map), to: layout.spatialFile(for: job.image))
            try map.write(to: folder.appendingPathComponent("\(stem)_mask.png"))
            try PNGFile.write(map.picture(range: (request.range.lowerBound, request.range.upperBound)),
                              to: folder.appendingPathComponent("\(stem)_mask_view.png"))
            done += 1
        }
        progress(ExportProgress(id: request.id, completed: done, total: total, message: "exported to \(layout.folder.path)", finished: true))
    }
}
