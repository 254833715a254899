import Foundation
import XCTest
@testable import Engine
import ImageIO
import Kernels
import Model

/// Photos in tiles through the 8-bit pipeline: the tile inputs are the whole-image pass's inputs, tiled renders and
/// trajectories give the untiled bytes (but for values within float rounding of a truncation boundary), outputs are
/// streamed band by band into PNG files, and `predict`'s batch controls (shards, skipping finished images).
final class TiledModulatorTests: XCTestCase {
    func modulator(_ configure: (inout GeneratorOptions) -> Void = { _ in }) -> Modulator {
        var o = GeneratorOptions()
        o.widthMultiplier = 1.0 / 16
        configure(&o)
        return Modulator(generator: .random(options: o, seed: 5))
    }

    func photo(width: Int, height: Int) -> RGBImage {
        var rng = SplitMix64(seed: 9)
        var img = RGBImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width {
            img[x, y, 0] = UInt8((x * 255) / max(1, width - 1))
            img[x, y, 1] = UInt8((y * 255) / max(1, height - 1))
            img[x, y, 2] = UInt8(truncatingIfNeeded: rng.next())
        } }
        return img
    }

    /// Bytes that differ, and by how much at most.
    func differences(_ a: RGBImage, _ b: RGBImage) -> (count: Int, largest: Int) {
        var count = 0, largest = 0
        for (p, q) in zip(a.pixels, b.pixels) where p != q {
            count += 1
            largest = max(largest, abs(Int(p) - Int(q)))
        }
        return (count, largest)
    }

    func testTileInputsAreThePaddedInputs() {
        let m = modulator { $0.selfAttention = true; $0.useNoise = true }
        let image = photo(width: 37, height: 29)
        var map = IntensityMap(width: 37, height: 29, constant: 0)
        for i in map.values.indices { map.values[i] = Float(i % 7) / 3 }
        let inputs = PhotoTileInputs(image: image, map: map, noiseSeed: 4)
        var withNoise = m
        withNoise.noiseSeed = 4
        let gray = Generator.attentionMap(u8: image.pixels, width: 37, height: 29)
        let whole = m.generator.prepareInputs(Tensor(image: image), intensity: .map(Tensor(map: map)),
                                              noise: withNoise.noise(for: Shape(n: 1, c: 3, h: 29, w: 37)), gray: gray).values
        for region in [Region(top: 0, bottom: 32, left: 0, right: 48), Region(top: 5, bottom: 19, left: 30, right: 47)] {
            for which in [GeneratorGraph.Input.image, .gray, .intensity, .noise] {
                XCTAssertEqual(inputs.values(which, in: region), whole[which]!.extracting(region), "\(which) \(region)")
            }
        }
    }

    func testTiledRendersGiveTheUntiledBytes() throws {
        for configure in [{ (o: inout GeneratorOptions) in o.selfAttention = true; o.norm = .batch },
                          { (o: inout GeneratorOptions) in o.useNoise = true }] {
            let whole = modulator(configure)
            var tiled = whole
            tiled.tileOverride = (48, 64)
            let image = photo(width: 150, height: 113)
            var map = IntensityMap(width: 150, height: 113, constant: 0)
            for y in 0..<113 { for x in 0..<150 { map[x, y] = Float(x) / 75 - 0.3 } }
            XCTAssertGreaterThan(try tiled.tilePlan(width: 150, height: 113, levels: 1).grid.count, 6)
            let pairs = [(try tiled.render(image, map: map), try whole.render(image, map: map)),
                         (try tiled.render(image, level: 0.8), try whole.render(image, level: 0.8))]
                + zip(try tiled.trajectory(image, levels: [0, 0.5, 1.3]), try whole.trajectory(image, levels: [0, 0.5, 1.3])).map { ($0, $1) }
            for (t, w) in pairs {
                let d = differences(t, w)
                // Float rounding moves a value across an 8-bit truncation boundary now and then, never further.
                XCTAssertLessThanOrEqual(d.largest, 1)
                XCTAssertLessThan(d.count, 10)
            }
        }
    }

    /// A trajectory written band by band: each level's PNG equals the image rendered whole.
    func testPredictStreamsLevelsIntoFiles() throws {
        var m = modulator { $0.selfAttention = true }
        m.tileOverride = (32, 160)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tiled-predict-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let input = dir.appendingPathComponent("big.png")
        let image = photo(width: 140, height: 101)
        try PNGFile.write(image, to: input)
        let layout = PredictionLayout(savePath: dir, name: "t", tag: "", inferenceType: "exhaustive")
        let predictor = Predictor(modulator: m, layout: layout, mode: .exhaustive(lower: 0, higher: 1, count: 3))
        XCTAssertFalse(predictor.isComplete(input))
        let written = try predictor.process(input)
        XCTAssertEqual(written.count, 4)
        XCTAssertTrue(predictor.isComplete(input))
        var whole = m
        whole.tileOverride = nil
        for (level, expected) in zip([Float(0), 0.5, 1], try whole.trajectory(image, levels: [0, 0.5, 1])) {
            let d = differences(try PNGFile.readRGB(layout.levelFile(for: input, level: level)), expected)
            XCTAssertLessThanOrEqual(d.largest, 1)
            XCTAssertLessThan(d.count, 10)
        }
        // No temporary left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: layout.imageFolder(for: input).path)
        XCTAssertFalse(names.contains { $0.hasPrefix(".") }, "\(names)")
    }

    func testRowWriterIsAtomicAndChecksItsRows() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rows-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("a.png")
        let image = photo(width: 9, height: 7)
        do {
            let w = try PNGRowWriter(url: url, width: 9, height: 7)
            try w.append(Array(image.pixels[0..<(4 * 27)]), count: 4)
            XCTAssertThrowsError(try w.finish())   // three rows short
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
        let w = try PNGRowWriter(url: url, width: 9, height: 7)
        try w.append(Array(image.pixels[0..<(4 * 27)]), count: 4)
        try w.append(Array(image.pixels[(4 * 27)...]), count: 3)
        XCTAssertThrowsError(try w.append([UInt8](repeating: 0, count: 27), count: 1))
        try w.finish()
        XCTAssertEqual(try PNGFile.readRGB(url), image)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["a.png"])
    }

    func testShardsSplitTheFilesStably() {
        let files = (0..<200).map { URL(fileURLWithPath: "/photos/IMG_\($0).jpg") }
        let shards = (1...4).map { Shard(index: $0, count: 4) }
        for f in files { XCTAssertEqual(shards.filter { $0.contains(f) }.count, 1) }
        for s in shards { XCTAssertGreaterThan(files.filter { s.contains($0) }.count, 30) }
        // The folder does not matter, only the name.
        XCTAssertEqual(shards.map { $0.contains(URL(fileURLWithPath: "/a/x.png")) }, shards.map { $0.contains(URL(fileURLWithPath: "/mnt/b/x.png")) })
        XCTAssertNil(Shard(parsing: "0/4"))
        XCTAssertNil(Shard(parsing: "5/4"))
        XCTAssertEqual(Shard(parsing: "2/4"), Shard(index: 2, count: 4))
    }

    func testBudgetParsingAndTooSmallABudget() throws {
        XCTAssertEqual(MemoryBudget(parsing: "1.5G")?.bytes, 1_500_000_000)
        XCTAssertEqual(MemoryBudget(parsing: "800M")?.bytes, 800_000_000)
        XCTAssertEqual(MemoryBudget(parsing: "2GiB")?.bytes, 2 << 30)
        XCTAssertNil(MemoryBudget(parsing: "lots"))
        let m = Modulator(generator: modulator().generator, memoryBudget: MemoryBudget(bytes: 1_000_000))
        XCTAssertThrowsError(try m.render(photo(width: 300, height: 200), level: 0.5)) { error in
            XCTAssertTrue("\(error)".contains("--memory-budget"), "\(error)")
        }
    }
}
