import Engine
import Foundation
import ImageIO
import Model

/// The inference engine behind the studio: one `LiveRenderer` keeps the current image's activations, so that a
/// stroke recomputes only what it reaches and a new level or image runs a full frame.
public struct EngineRenderer: FrameRenderer {
    let live: LiveRenderer
    public let description: String

    public init(model: LoadedModel) {
        live = LiveRenderer(generator: model.generator)
        let name = model.config.string("name")
        description = "\(name) · \(model.checkpoint.lastPathComponent)"
    }

    public func render(image: RGBImage, intensity: IntensityMap) async throws -> RGBImage {
        try await live.render(image: image, intensity: intensity)
    }
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
            try PNGFile.write(image, to: layout.inputFile(for: job.image))
            for level in request.trajectory {
                try Task.checkCancellation()
                progress(ExportProgress(id: request.id, completed: done, total: total, message: "\(stem) level \(Levels.fileTag(level))"))
                try PNGFile.write(modulator.render(image, level: level), to: layout.levelFile(for: job.image, level: level))
                done += 1
            }
            try Task.checkCancellation()
            progress(ExportProgress(id: request.id, completed: done, total: total, message: "\(stem) spatial"))
            var painted = job.painted
            if painted == nil, let file = job.paintedFile, let array = try? NumpyArray(contentsOf: file), array.shape == [image.height, image.width] {
                painted = IntensityMap(width: image.width, height: image.height, values: array.values)
            }
            let map = ExportJob(image: job.image, level: job.level, painted: painted).intensity(width: image.width, height: image.height)
            try PNGFile.write(modulator.render(image, map: map), to: layout.spatialFile(for: job.image))
            try map.write(to: folder.appendingPathComponent("\(stem)_mask.png"))
            try PNGFile.write(map.picture(range: (request.range.lowerBound, request.range.upperBound)),
                              to: folder.appendingPathComponent("\(stem)_mask_view.png"))
            done += 1
        }
        progress(ExportProgress(id: request.id, completed: done, total: total, message: "exported to \(layout.folder.path)", finished: true))
    }
}
