import AtomicFiles
import Engine
import Kernels
import Foundation
import ImageIO
import Model

extension MemoryBudget {
    /// The studio's, for the whole process: the live renderer's kept activations take up to 40% (`proxyPixels`),
    /// detail renders' and exports' tiles what the resident set leaves.
    public static let studio = MemoryBudget(bytes: 2_500_000_000)
}

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

    public init(model: LoadedModel, range: ClosedRange<Float>, ladderLevels: Int = 11, memoryBudget: MemoryBudget = .studio) {
        self.init(generator: model.generator, description: "\(model.config.string("name")) · \(model.checkpoint.lastPathComponent)",
                  range: range, ladderLevels: ladderLevels, memoryBudget: memoryBudget)
    }

    /// `proxyPixels` overrides the proxy's size that `proxyPixels(for:budget:)` would choose.
    public init(generator: Generator, description: String, range: ClosedRange<Float>, ladderLevels: Int = 11,
                memoryBudget: MemoryBudget = .studio, proxyPixels: Int? = nil) {
        live = LiveRenderer(generator: generator)
        // The budget is the whole process's (tiles get what the resident set leaves of it), so the ladder's fill
        // and the full-resolution detail renders tile around the live renderer's kept activations.
        modulator = Modulator(generator: generator, memoryBudget: memoryBudget)
        ladder = ScrubLadder(range: range, levels: ladderLevels)
        proxy = ProxyPipe(pixels: proxyPixels ?? Self.proxyPixels(for: generator, budget: memoryBudget))
        self.description = description
    }

    /// Interactive frames are computed on a proxy of at most this many pixels (the photo sampled down): what a
    /// terminal canvas shows (sixel canvases rarely pass 1600 px across), and no more than 40% of the memory
    /// budget holds of the activations the live renderer keeps. The rest is for the photo, its mask and the tiles
    /// of detail renders and exports: at half, a 48 MP photo (0.5 GB with its mask and map) left a zoomed-in
    /// view 81 MB, too little for one tile of a full-width model. Exports run the full-resolution tiled pipeline.
    static func proxyPixels(for generator: Generator, budget: MemoryBudget) -> Int {
        let perPixel = Double(generator.activationBytes(height: 256, width: 256)) / 65536
        let byMemory = Int(Double(budget.bytes) * 0.4 / max(1, perPixel))
        return max(64 * 64, min(1600 * 1200, byMemory))
    }

    let proxy: ProxyPipe

    public func render(image: RGBImage, intensity: IntensityMap) async throws -> RGBImage {
        ThreadPolicy.runAtBackgroundPriority()
        filler.cancel()
        let small = proxy.subject(ScrubSubject(image: image, painted: intensity.values))
        return try await live.render(image: small.image, intensity: IntensityMap(width: small.image.width, height: small.image.height, values: small.painted!))
    }

    public func render(_ subject: ScrubSubject, level: Float) async throws -> RGBImage {
        ThreadPolicy.runAtBackgroundPriority()
        filler.cancel()
        let subject = proxy.subject(subject)
        let frame = try await live.render(image: subject.image, intensity: subject.intensity(at: level))
        ladder.remember(frame, of: subject, at: level)
        fillLadder(subject, near: level)
        return frame
    }

    /// Renders the ladder's missing levels of `subject` (a proxy) in the background, nearest `level` first.
    private func fillLadder(_ subject: ScrubSubject, near level: Float) {
        let ladder = self.ladder, modulator = self.modulator
        filler.start {
            try await Task.sleep(for: Self.fillDelay)
            ThreadPolicy.runAtBackgroundPriority()
            while let next = ladder.nextLevel(for: subject, near: level) {
                try Task.checkCancellation()
                ladder.remember(try modulator.render(subject.image, map: subject.intensity(at: next)), of: subject, at: next)
            }
        }
    }

    /// While painting: a stroke preview (bf16, recomputed near the dab only); the exact render at the stroke's end
    /// recomputes everything the stroke reached in f32.
    public func renderPreview(_ subject: ScrubSubject, level: Float) async throws -> RGBImage? {
        ThreadPolicy.runAtBackgroundPriority()
        filler.cancel()
        let subject = proxy.subject(subject)
        return try await live.render(image: subject.image, intensity: subject.intensity(at: level), mode: .stroke)
    }

    /// The largest region a detail render takes on: what a canvas shows (the tiled pipeline bounds its memory
    /// whatever the size; this bounds its time).
    static let detailPixels = 1600 * 1200

    /// Regions of up to `detailPixels`, through the tiled pipeline (exact, each tile with its halo; only
    /// the tiles the region reaches run). The ladder's fill stops for it and starts again after.
    public func renderDetail(_ subject: ScrubSubject, level: Float, left: Int, top: Int, width: Int, height: Int) async throws -> RGBImage? {
        let (pw, ph) = proxy.size(width: subject.image.width, height: subject.image.height)
        guard pw < subject.image.width || ph < subject.image.height, width > 0, height > 0, width * height <= Self.detailPixels else { return nil }
        filler.cancel()
        await filler.wait()
        ThreadPolicy.runAtBackgroundPriority()
        let map = subject.intensity(at: level)
        let region = Region(top: top, bottom: top + height, left: left, right: left + width)
        var out = RGBImage(width: width, height: height)
        try out.pixels.withUnsafeMutableBufferPointer { dst in
            try modulator.renderBands(subject.image, levels: nil, map: map, region: region) { first, rows, buffers in
                try Task.checkCancellation()
                buffers[0].withUnsafeBufferPointer { src in
                    (dst.baseAddress! + first * width * 3).update(from: src.baseAddress!, count: rows * width * 3)
                }
            }
        }
        try Task.checkCancellation()
        fillLadder(proxy.subject(subject), near: level)
        return out
    }

    public func setDisplayPixels(_ pixels: Int) { proxy.setPixels(pixels) }

    public func instantFrame(of subject: ScrubSubject, level: Float) -> (image: RGBImage, exact: Bool)? {
        ladder.preview(of: proxy.subject(subject), at: level)
    }

    /// Waits until the background fill is done (tests and the bench).
    public func waitForLadder() async { await filler.wait() }
}

/// Samples photos larger than the proxy down (area average) and their painted values with them (the value at each
/// proxy pixel's centre; NaN, "follows the level", stays NaN), keeping the last photo's proxy so that a stroke does
/// not resample the photo. The painted values are resampled on every call: they change with every dab.
final class ProxyPipe: @unchecked Sendable {
    /// The most pixels a proxy may have (memory), and what the canvas needs now (at most that).
    let limit: Int
    private var wanted: Int
    private let lock = NSLock()
    private var last: (source: RGBImage, proxy: RGBImage)?

    init(pixels: Int) {
        limit = pixels
        wanted = pixels
    }

    var pixels: Int { lock.withLock { wanted } }

    func setPixels(_ n: Int) { lock.withLock { wanted = max(1, min(limit, n)) } }

    /// The proxy's size for a `width` x `height` photo (the photo's own when it fits).
    func size(width: Int, height: Int) -> (width: Int, height: Int) {
        let pixels = self.pixels
        guard width * height > pixels else { return (width, height) }
        let k = (Double(pixels) / Double(width * height)).squareRoot()
        return (max(1, Int(Double(width) * k)), max(1, Int(Double(height) * k)))
    }

    func subject(_ s: ScrubSubject) -> ScrubSubject {
        let (w, h) = size(width: s.image.width, height: s.image.height)
        guard w != s.image.width || h != s.image.height else { return s }
        let image: RGBImage = lock.withLock {
            if let last, last.source == s.image, last.proxy.width == w, last.proxy.height == h { return last.proxy }
            let p = s.image.resized(width: w, height: h)
            last = (s.image, p)
            return p
        }
        guard let painted = s.painted else { return ScrubSubject(image: image, painted: nil) }
        var small = [Float](repeating: .nan, count: w * h)
        let sw = s.image.width, sh = s.image.height
        let columns = (0..<w).map { min(sw - 1, Int((Double($0) + 0.5) * Double(sw) / Double(w))) }
        for y in 0..<h {
            let sy = min(sh - 1, Int((Double(y) + 0.5) * Double(sh) / Double(h)))
            for x in 0..<w { small[y * w + x] = painted[sy * sw + columns[x]] }
        }
        return ScrubSubject(image: image, painted: small)
    }
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
/// input, plus `{image}_trajectory.gif` (the trajectory forth and back, at most 768 pixels a side),
/// `{image}_spatial.png` (the painted result), `{image}_mask.png` (16-bit, range in its text chunks) and
/// `{image}_mask_view.png` (the mask in a colour map with a legend). Every file is written atomically.
public struct EngineExporter: ExportRunner {
    let modulator: Modulator
    let name: String

    /// Exports run the exact tiled pipeline at full resolution within what `memoryBudget` leaves beside the
    /// studio's own memory.
    public init(model: LoadedModel, memoryBudget: MemoryBudget = .studio) {
        modulator = Modulator(generator: model.generator, memoryBudget: memoryBudget)
        name = model.config.string("name")
    }

    public func run(_ request: ExportRequest, progress: @escaping @Sendable (ExportProgress) -> Void) async throws {
        let layout = PredictionLayout(savePath: request.outputDirectory, name: name, tag: "studio", inferenceType: "exhaustive",
                                      levels: request.trajectory)
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
                progress(ExportProgress(id: request.id, completed: done, total: total, message: "\(stem) level \(Levels.fileTag(level, decimals: layout.tagDecimals))"))
                try PNGFile.write(try modulator.render(image, level: level), to: layout.levelFile(for: job.image, level: level))
                done += 1
            }
            try Task.checkCancellation()
            progress(ExportProgress(id: request.id, completed: done, total: total, message: "\(stem) animation"))
            try Predictor.animate(request.trajectory.map { layout.levelFile(for: job.image, level: $0) },
                                  to: layout.animationFile(for: job.image), Predictor.Animation())
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
