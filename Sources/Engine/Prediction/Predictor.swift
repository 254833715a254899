import AtomicFiles
import Foundation
import ImageIO
import Kernels
import Model

/// Runs `predict` over a list of images: each image is independent, so one bad file is reported and the rest
/// still complete. Every file is written atomically (a temporary name, then a rename).
public struct Predictor: Sendable {
    public enum Mode: Sendable {
        /// `count` levels evenly from `lower` to `higher` (the reference's N_search + 1).
        case exhaustive(lower: Float, higher: Float, count: Int)
        /// One per-pixel intensity map for every image (of the images' size unless `resize`).
        case spatial(map: IntensityMap, source: String, resize: Bool)
        /// The reference's ternary search against the image of the same file name in `references`.
        case ternary(TernarySearch, references: URL)
    }

    public let modulator: Modulator
    public let layout: PredictionLayout
    public let mode: Mode
    /// Down-scale (area average) so the longest side is at most this; nil keeps the size.
    public var maxSize: Int?
    /// An exhaustive trajectory also as one animated GIF (`{image}_trajectory.gif`), nil for none.
    public var animation: Animation?

    /// How the trajectory is animated: forth and back, each frame `delay` hundredths of a second, sampled down
    /// (area average) so the longest side is at most `maxSide` (0: the images' size).
    public struct Animation: Sendable {
        public var maxSide: Int
        public var delay: Int
        public init(maxSide: Int = 768, delay: Int = 12) { self.maxSide = maxSide; self.delay = delay }
    }

    public init(modulator: Modulator, layout: PredictionLayout, mode: Mode, maxSize: Int? = nil, animation: Animation? = nil) {
        self.modulator = modulator; self.layout = layout; self.mode = mode; self.maxSize = maxSize; self.animation = animation
    }

    /// Whether every file `process` writes for `file` is already there (`--skip-existing`): each is written
    /// atomically, so one that exists is complete.
    public func isComplete(_ file: URL) -> Bool {
        let exists = { (u: URL) in FileManager.default.fileExists(atPath: u.path) }
        guard exists(layout.inputFile(for: file)) else { return false }
        switch mode {
        case let .exhaustive(lower, higher, count):
            return Levels.linspace(lower, higher, count: count).allSatisfy { exists(layout.levelFile(for: file, level: $0)) }
                && (animation == nil || exists(layout.animationFile(for: file)))
        case .spatial:
            return exists(layout.spatialFile(for: file))
        case .ternary:
            let json = layout.imageFolder(for: file).appendingPathComponent("search.json")
            guard let data = try? Data(contentsOf: json), let report = try? JSONDecoder().decode(SearchReport.self, from: data) else { return false }
            return exists(layout.levelFile(for: file, level: report.level))
        }
    }

    /// Processes one image and returns the files written.
    @discardableResult
    public func process(_ file: URL) throws -> [URL] {
        var image = try ImageFile.readRGB(file)
        if let m = maxSize { image = image.downscaled(toFit: m) }
        try FileManager.default.createDirectory(at: layout.imageFolder(for: file), withIntermediateDirectories: true)
        // A run killed mid-write left its temporary file here; without this each kill would add one for good.
        AtomicFile.sweepStale(in: layout.imageFolder(for: file))
        var written: [URL] = []
        func save(_ img: RGBImage, _ url: URL) throws { try PNGFile.write(img, to: url); written.append(url) }

        switch mode {
        case let .exhaustive(lower, higher, count):
            let levels = Levels.linspace(lower, higher, count: count)
            try save(image, layout.inputFile(for: file))
            // Each level's file is written band by band as the tiles finish: a photo's outputs are never held whole.
            let writers = try levels.map { try PNGRowWriter(url: layout.levelFile(for: file, level: $0), width: image.width, height: image.height) }
            try modulator.renderBands(image, levels: levels) { _, rows, bands in
                for (writer, band) in zip(writers, bands) { try writer.append(band, count: rows) }
            }
            for writer in writers {
                try writer.finish()
                written.append(writer.url)
            }
            if let animation {
                let url = layout.animationFile(for: file)
                try Self.animate(levels.map { layout.levelFile(for: file, level: $0) }, to: url, animation)
                written.append(url)
            }
        case let .spatial(map, source, resize):
            var m = map
            if m.width != image.width || m.height != image.height {
                guard resize else {
                    throw EngineError.sizeMismatch(file: source, expected: "\(image.width)x\(image.height) (the size of \(file.lastPathComponent); pass --mask-resize to scale it)",
                                                   found: "\(m.width)x\(m.height)")
                }
                m = m.resized(width: image.width, height: image.height)
            }
            try save(image, layout.inputFile(for: file))
            try save(try modulator.render(image, map: m), layout.spatialFile(for: file))
        case let .ternary(search, references):
            let gtFile = references.appendingPathComponent(file.lastPathComponent)
            guard FileManager.default.fileExists(atPath: gtFile.path) else {
                throw EngineError.missingFile(gtFile.path, what: "reference image for \(file.lastPathComponent)")
            }
            let reference = try ImageFile.readRGB(gtFile)
            guard reference.width == image.width, reference.height == image.height else {
                throw EngineError.sizeMismatch(file: gtFile.path, expected: "\(image.width)x\(image.height)", found: "\(reference.width)x\(reference.height)")
            }
            let result = try search.run(reference: reference) { try modulator.render(image, level: $0) }
            try save(image, layout.inputFile(for: file))
            try save(result.image, layout.levelFile(for: file, level: result.level))
            let report = SearchReport(image: file.lastPathComponent, critic: search.critic.name, level: result.level, probes: result.probes)
            let json = layout.imageFolder(for: file).appendingPathComponent("search.json")
            try writeAtomically(try JSONEncoder.pretty.encode(report), to: json)
            written.append(json)
        }
        return written
    }

    /// The level files read back one at a time (a photo's levels are never held together), sampled down and
    /// appended forth and back.
    public static func animate(_ levelFiles: [URL], to url: URL, _ animation: Animation) throws {
        var writer: GIFAnimationWriter?
        for i in GIFAnimationWriter.bounceOrder(count: levelFiles.count) {
            var frame = try ImageFile.readRGB(levelFiles[i])
            if animation.maxSide > 0 { frame = frame.downscaled(toFit: animation.maxSide) }
            if writer == nil { writer = try GIFAnimationWriter(url: url, width: frame.width, height: frame.height, delay: animation.delay) }
            try writer!.append(frame)
        }
        try writer?.finish()
    }
}

extension IntensityMap {
    /// Bilinear resampling to another size (for `--mask-resize`).
    public func resized(width w: Int, height h: Int) -> IntensityMap {
        var out = IntensityMap(width: w, height: h, constant: 0)
        for y in 0..<h {
            let sy = max(0, (Double(y) + 0.5) * Double(height) / Double(h) - 0.5)
            let y0 = min(Int(sy), height - 1), y1 = min(y0 + 1, height - 1), fy = Float(sy - Double(y0))
            for x in 0..<w {
                let sx = max(0, (Double(x) + 0.5) * Double(width) / Double(w) - 0.5)
                let x0 = min(Int(sx), width - 1), x1 = min(x0 + 1, width - 1), fx = Float(sx - Double(x0))
                let top = self[x0, y0] * (1 - fx) + self[x1, y0] * fx
                let bottom = self[x0, y1] * (1 - fx) + self[x1, y1] * fx
                out[x, y] = top * (1 - fy) + bottom * fy
            }
        }
        return out
    }
}

/// What `search.json` records: every probe of the ternary search and the level chosen.
struct SearchReport: Codable {
    var image: String
    var critic: String
    var level: Float
    var probes: [TernarySearch.Probe]
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}

/// Writes `data` under a temporary name in the same folder, fsync'ed, then renamed into place (`AtomicFile`).
public func writeAtomically(_ data: Data, to url: URL) throws {
    do { try AtomicFile.write(data, to: url) } catch let failure as AtomicFile.Failure {
        throw EngineError.invalidArgument("\(url.path): cannot write (\(failure.reason))")
    }
}
