import Foundation
import ImageIO
import Kernels
import Model
@testable import Training
import XCTest

/// SIDD training crops in .h5 files (scripts/make_h5_fixtures.py writes Tests/Fixtures/h5): the reader returns the
/// bytes h5py wrote, refuses hostile files naming the file and the dataset, and the noise model trains from them.
final class H5PairFileTests: XCTestCase {
    let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/h5")
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-h5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    // The fixture script's formulas.
    func clean(_ i: Int, size: Int = 48) -> RGBImage {
        var im = RGBImage(width: size, height: size)
        for y in 0..<size { for x in 0..<size { for c in 0..<3 { im[x, y, c] = UInt8((i * 37 + y * 3 + x * 5 + c * 11) % 256) } } }
        return im
    }

    func noisy(_ i: Int, size: Int = 48) -> RGBImage {
        var im = clean(i, size: size)
        for y in 0..<size { for x in 0..<size { for c in 0..<3 {
            im[x, y, c] = UInt8((Int(im[x, y, c]) + 7 * ((x * y + i + c) % 5)) % 256)
        } } }
        return im
    }

    func testTheReferenceLayoutGivesBackEveryPixelH5pyWrote() throws {
        let file = try H5PairFile(fixtures.appendingPathComponent("sidd_small.h5"))
        XCTAssertEqual(file.layout, .reference)
        XCTAssertEqual(file.count, 3)
        XCTAssertEqual(file.clean.map(\.dataset), ["clean_0", "clean_1", "clean_2"])
        XCTAssertEqual(file.noisy.map(\.dataset), ["noisy_0", "noisy_1", "noisy_2"])
        for i in 0..<3 {
            XCTAssertEqual(try file.cleanImage(i), clean(i), "clean_\(i)")
            // noisy_1 is chunked and gzip-compressed.
            XCTAssertEqual(try file.noisyImage(i), noisy(i), "noisy_\(i)")
        }
        XCTAssertEqual(file.smallestSide.side, 48)
    }

    func testDANetsSixChannelLayoutSplitsNoisyThenClean() throws {
        let file = try H5PairFile(fixtures.appendingPathComponent("danet_small.h5"))
        XCTAssertEqual(file.layout, .danet)
        XCTAssertEqual(file.count, 2)
        for i in 0..<2 {
            XCTAssertEqual(try file.cleanImage(i), clean(i), "clean of \(i)")
            XCTAssertEqual(try file.noisyImage(i), noisy(i), "noisy of \(i)")
        }
    }

    /// Every hostile fixture, and what its error must say (beyond the file's path).
    func testHostileFilesAreRefusedNamingTheFileAndTheDataset() throws {
        let cases: [(String, String?, String)] = [
            ("float32", "clean_1", "32-bit floats; expected 8-bit unsigned integers (uint8)"),
            ("int16", "noisy_0", "16-bit signed integers; expected 8-bit unsigned"),
            ("rank2", "noisy_1", "shape 16 x 16 (rank 2); expected rank 3"),
            ("four_channels", "clean_0", "16 x 16 x 4; expected H x W x 3"),
            ("huge_dims", "clean_1", "30000 x 30000 x 3 (2700000000 bytes); expected at most 2147483648 bytes"),
            ("tall", "noisy_0", "40000 x 8 x 3; expected each side between 1 and 32768"),
            ("unwritten", "noisy_1", "with no data stored"),
            ("sparse", "clean_0", "behind only"),
            ("external_link", "noisy_1", "is a soft, external or user-defined link; expected a dataset stored in this file"),
            ("external_raw", "clean_0", "stored in 1 external raw-data file(s)"),
            ("missing_noisy", "noisy_2", "is missing; expected clean_0…clean_2 and noisy_0…noisy_2"),
            ("group_not_dataset", "clean_0", "is not a dataset"),
            ("danet_three_channels", "0", "16 x 16 x 3; expected H x W x 6"),
            ("zero_pairs", nil, "no image pairs"),
            ("truncated", nil, "damaged or truncated"),
            ("truncated_header", nil, "damaged or truncated"),
            ("not_hdf5", nil, "not an HDF5 file"),
        ]
        for (name, dataset, expected) in cases {
            let url = fixtures.appendingPathComponent("hostile/\(name).h5")
            XCTAssertThrowsError(try H5PairFile(url), name) { error in
                guard let e = error as? TrainingError else { return XCTFail("\(name): \(error)") }
                let text = e.description
                XCTAssertTrue(text.hasPrefix(url.path + ": "), "\(name): \(text)")
                if let dataset { XCTAssertTrue(text.contains("dataset '\(dataset)'"), "\(name): \(text)") }
                XCTAssertTrue(text.contains(expected), "\(name): \(text)")
            }
        }
        XCTAssertThrowsError(try H5PairFile(scratch.appendingPathComponent("absent.h5"))) {
            XCTAssertTrue("\($0)".contains("no such file"), "\($0)")
        }
    }

    /// A file on which Debian's libhdf5 1.10.8 segfaults in H5Gget_info (found by the h5 fuzz target): the crash
    /// happens in the probe's child process and comes back as an error naming the file.
    func testACrashInsideLibhdf5IsAnErrorNotACrash() throws {
        let url = repositoryRoot.appendingPathComponent("Tests/Fuzz/h5/crashes/libhdf5-1.10.8-H5Gget_info-stab.h5")
        XCTAssertThrowsError(try H5PairFile(url)) { error in
            let text = "\(error)"
            XCTAssertTrue(error is TrainingError, text)
            XCTAssertTrue(text.hasPrefix(url.path + ": "), text)
            // A newer libhdf5 refuses the file instead of crashing; either way it is not used.
            XCTAssertTrue(text.contains("libhdf5 crashed reading its structure") || text.contains("damaged"), text)
        }
    }

    /// Files cut at every few hundred bytes and files with flipped bytes: each opens and reads, or throws a
    /// TrainingError; none crashes or reads past what it validated.
    func testCutAndCorruptedFilesThrowOrReadCleanly() throws {
        let whole = try Data(contentsOf: fixtures.appendingPathComponent("sidd_small.h5"))
        var variants: [Data] = stride(from: 0, to: whole.count, by: 997).map { whole.prefix($0) }
        var rng = SplitMix64(seed: 5)
        for _ in 0..<40 {
            var d = whole
            for _ in 0..<4 { d[Int(rng.next() % UInt64(d.count))] ^= UInt8(1 + rng.next() % 255) }
            variants.append(d)
        }
        for (k, data) in variants.enumerated() {
            let url = scratch.appendingPathComponent("variant\(k).h5")
            try data.write(to: url)
            do {
                let file = try H5PairFile(url)
                for i in 0..<file.count {
                    for image in [file.clean[i], file.noisy[i]] {
                        do {
                            let im = try file.read(image)
                            XCTAssertEqual(im.pixels.count, image.width * image.height * 3)
                        } catch is TrainingError {}
                    }
                }
            } catch is TrainingError {}
        }
    }

    /// np.rot90 (counter-clockwise) mode / 2 times, then np.flipud for odd modes, on a 2 x 3 image.
    func testAugmentationModesMatchNumpy() {
        var im = RGBImage(width: 3, height: 2)
        for y in 0..<2 { for x in 0..<3 { im[x, y, 0] = UInt8(y * 3 + x) } }  // [[0 1 2] [3 4 5]]
        func rows(_ m: RGBImage) -> [[UInt8]] { (0..<m.height).map { y in (0..<m.width).map { m[$0, y, 0] } } }
        XCTAssertEqual(rows(augmented(im, mode: 1)), [[3, 4, 5], [0, 1, 2]])
        XCTAssertEqual(rows(augmented(im, mode: 2)), [[2, 5], [1, 4], [0, 3]])
        XCTAssertEqual(rows(augmented(im, mode: 3)), [[0, 3], [1, 4], [2, 5]])
        XCTAssertEqual(rows(augmented(im, mode: 4)), [[5, 4, 3], [2, 1, 0]])
        XCTAssertEqual(rows(augmented(im, mode: 5)), [[2, 1, 0], [5, 4, 3]])
        XCTAssertEqual(rows(augmented(im, mode: 6)), [[3, 0], [4, 1], [5, 2]])
        XCTAssertEqual(rows(augmented(im, mode: 7)), [[5, 2], [4, 1], [3, 0]])
    }

    func noiseConfig(_ extra: [String: ConfigValue] = [:]) throws -> MonoPixConfig {
        var o: [String: ConfigValue] = ["ngf_mult": .double(1.0 / 16), "patchSize": .int(32), "batchSize": .int(2),
                                        "print_freq": .int(1), "display_freq": .int(2), "lr": .double(0.001)]
        for (k, v) in extra { o[k] = v }
        return try MonoPixConfig(contentsOf: repositoryRoot.appendingPathComponent("configs/MonoPix_Noise_Default.yaml")).with(o)
    }

    func options(h5: URL?, name: String, steps: Int) -> TrainingRunOptions {
        // No data folders at all: the .h5 file is the only data.
        var o = TrainingRunOptions(dataRoot: scratch.appendingPathComponent("no-folders"), name: name,
                                   checkpointsDirectory: scratch.appendingPathComponent("checkpoints"))
        o.h5File = h5
        o.maxSteps = steps
        o.seed = 3
        return o
    }

    func testTheNoiseModelTrainsFromAnH5File() throws {
        for (name, fixture) in [("reference", "sidd_small.h5"), ("danet", "danet_small.h5")] {
            let trainer = try Trainer(config: try noiseConfig(), options: options(h5: fixtures.appendingPathComponent(fixture), name: name, steps: 3))
            var notices: [String] = [], strips: [URL] = []
            trainer.onEvent = {
                if case .notice(let n) = $0 { notices.append(n) }
                if case .strip(let u) = $0 { strips.append(u) }
            }
            let summary = try trainer.run()
            XCTAssertEqual(summary.steps, 3, name)
            XCTAssertTrue(notices.contains { $0.contains("\(fixture)") && $0.contains("32x32 crops") }, "\(name): \(notices)")
            let records = trainer.metrics
            XCTAssertEqual(records.count, 3)
            for r in records { for (loss, v) in r.losses { XCTAssertTrue(v.isFinite, "\(name) \(loss) = \(v)") } }
            XCTAssertEqual(strips.count, 1)
            let strip = try ImageFile.readRGB(strips[0])
            XCTAssertEqual(strip.height, 32)
            XCTAssertTrue(FileManager.default.fileExists(atPath: trainer.runDirectory.appendingPathComponent("latest_net_G_A.safetensors").path))
        }
        // The config key alone does it too.
        let viaConfig = try Trainer(config: try noiseConfig(["h5file_path": .string(fixtures.appendingPathComponent("sidd_small.h5").path)]),
                                    options: options(h5: nil, name: "config", steps: 1))
        XCTAssertEqual(try viaConfig.run().steps, 1)
        // The option overrides the config key.
        let overridden = try Trainer(config: try noiseConfig(["h5file_path": .string(scratch.appendingPathComponent("absent.h5").path)]),
                                     options: options(h5: fixtures.appendingPathComponent("danet_small.h5"), name: "override", steps: 1))
        XCTAssertEqual(overridden.h5?.file.layout, .danet)
    }

    /// Batches hold clean crops in A and noisy crops in B, each crop a patchSize square of its image (possibly
    /// flipped or rotated), and the stream depends on the seed and the position alone.
    func testH5BatchesCropCleanIntoAAndNoisyIntoB() throws {
        let file = try H5PairFile(fixtures.appendingPathComponent("sidd_small.h5"))
        let data = try DataSettings(config: try noiseConfig())
        let loader = BatchLoader(source: .h5(file, patch: 16), settings: data, batchSize: 3, seed: 9)
        XCTAssertEqual(loader.iterationsPerEpoch, 1)
        let batch = try loader.batch(at: BatchPosition(epoch: 1, iteration: 1))
        XCTAssertEqual(batch.a.shape, Shape(n: 3, c: 3, h: 16, w: 16))
        XCTAssertEqual(batch.b.shape, Shape(n: 3, c: 3, h: 16, w: 16))
        XCTAssertEqual(try loader.batch(at: BatchPosition(epoch: 1, iteration: 1)).a.scalars, batch.a.scalars)
        XCTAssertNotEqual(try loader.batch(at: BatchPosition(epoch: 2, iteration: 1)).a.scalars, batch.a.scalars)
        // Each A sample is one of the 16x16 crops of a clean image under one of the 8 modes; each B sample a noisy one.
        func matches(_ t: Tensor, _ n: Int, _ images: [RGBImage]) -> Bool {
            let plane = 16 * 16
            let sample = Array(t.scalars[(n * 3 * plane)..<((n + 1) * 3 * plane)])
            for im in images {
                for top in 0...(im.height - 16) { for left in 0...(im.width - 16) {
                    let crop = cropped(im, top: top, left: left, size: 16)
                    for mode in 0...7 where tensor([mode == 0 ? crop : augmented(crop, mode: mode)]).scalars == sample { return true }
                } }
            }
            return false
        }
        let cleans = (0..<3).map { clean($0) }, noisies = (0..<3).map { noisy($0) }
        for n in 0..<3 {
            XCTAssertTrue(matches(batch.a, n, cleans), "A sample \(n) is a clean crop")
            XCTAssertTrue(matches(batch.b, n, noisies), "B sample \(n) is a noisy crop")
            XCTAssertFalse(matches(batch.a, n, noisies), "A sample \(n) is no noisy crop")
        }
    }

    func testH5OptionsAreCheckedBeforeTraining() throws {
        let h5 = fixtures.appendingPathComponent("sidd_small.h5")
        XCTAssertThrowsError(try Trainer(config: try noiseConfig(["patchSize": .int(64)]), options: options(h5: h5, name: "big", steps: 1))) {
            let text = "\($0)"
            XCTAssertTrue(text.contains(h5.path) && text.contains("48 pixels on its shorter side") && text.contains("patchSize (64)"), text)
        }
        let season = try MonoPixConfig(contentsOf: repositoryRoot.appendingPathComponent("configs/MonoPix_SummerWinter_Default.yaml"))
        XCTAssertThrowsError(try Trainer(config: season, options: options(h5: h5, name: "season", steps: 1))) {
            XCTAssertTrue("\($0)".contains("only the noise model trains from .h5 files"), "\($0)")
        }
    }
}
