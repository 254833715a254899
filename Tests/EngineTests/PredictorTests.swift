import Foundation
import XCTest
import Engine
import Evaluation
import ImageIO
import Model

final class PredictorTests: XCTestCase {
    let fixture = repositoryRoot.appendingPathComponent("Tests/Fixtures/generator/season_identity")

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func modulator() throws -> Modulator {
        Modulator(generator: try LoadedModel(config: fixture.appendingPathComponent("config.yaml"),
                                             checkpoint: fixture.appendingPathComponent("model.pth")).generator)
    }

    func testExhaustiveWritesTheReferenceLayout() throws {
        let out = try temporaryFolder()
        let layout = PredictionLayout(savePath: out, name: "MonoPix_LowLight_Default", tag: "", inferenceType: "exhaustive")
        let p = Predictor(modulator: try modulator(), layout: layout, mode: .exhaustive(lower: -1, higher: 2, count: 11))
        try p.process(fixture.appendingPathComponent("input.png"))
        let folder = out.appendingPathComponent("MonoPix_LowLight_Default__exhaustive/input")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(names, ["input_enhlvl_-10.png", "input_enhlvl_-3.png", "input_enhlvl_-7.png", "input_enhlvl_00.png",
                               "input_enhlvl_02.png", "input_enhlvl_04.png", "input_enhlvl_07.png", "input_enhlvl_10.png",
                               "input_enhlvl_14.png", "input_enhlvl_17.png", "input_enhlvl_20.png", "input_enhlvl_99.png"])
        XCTAssertEqual(try PNGFile.readRGB(folder.appendingPathComponent("input_enhlvl_99.png")),
                       try ImageFile.readRGB(fixture.appendingPathComponent("input.png")))
    }

    /// `--animate gif`: the trajectory forth and back in one GIF beside its levels, sampled down; it counts for
    /// `--skip-existing`.
    func testAnExhaustiveRunAnimatesItsTrajectory() throws {
        let out = try temporaryFolder()
        let layout = PredictionLayout(savePath: out, name: "x", tag: "", inferenceType: "exhaustive")
        let input = fixture.appendingPathComponent("input.png")
        var p = Predictor(modulator: try modulator(), layout: layout, mode: .exhaustive(lower: 0, higher: 1, count: 4))
        try p.process(input)
        p.animation = Predictor.Animation(maxSide: 20, delay: 9)
        XCTAssertFalse(p.isComplete(input), "the animation is missing")
        let written = try p.process(input)
        let gif = layout.animationFile(for: input)
        XCTAssertEqual(written.last, gif)
        XCTAssertTrue(p.isComplete(input))
        let data = try Data(contentsOf: gif)
        XCTAssertEqual(String(decoding: data.prefix(6), as: UTF8.self), "GIF89a")
        let width = Int(data[6]) | Int(data[7]) << 8, height = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual(max(width, height), 20)
        // Frames: one image separator (0x2C) after each graphics control extension (21 F9 04 … 00).
        var frames = 0
        for i in 0..<(data.count - 8) where data[i] == 0x21 && data[i + 1] == 0xF9 && data[i + 2] == 4 && data[i + 7] == 0 && data[i + 8] == 0x2C {
            frames += 1
        }
        XCTAssertEqual(frames, 6, "0 1 2 3 2 1")
    }

    func testAFolderWithABadImageStillCompletesTheOthers() throws {
        let input = try temporaryFolder(), out = try temporaryFolder()
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("input.png"), to: input.appendingPathComponent("a.png"))
        try Data("not an image".utf8).write(to: input.appendingPathComponent("b.png"))
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("input.png"), to: input.appendingPathComponent("c.png"))
        let layout = PredictionLayout(savePath: out, name: "x", tag: "t", inferenceType: "exhaustive")
        let p = Predictor(modulator: try modulator(), layout: layout, mode: .exhaustive(lower: 0, higher: 1, count: 3))
        var failures: [String] = []
        for file in try imageFiles(at: input) {
            do { try p.process(file) } catch { failures.append("\(error)") }
        }
        XCTAssertEqual(failures.count, 1)
        XCTAssertTrue(failures[0].contains("b.png"), failures[0])
        for name in ["a", "c"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("x_t_exhaustive/\(name)/\(name)_enhlvl_10.png").path))
        }
    }

    func testSpatialMasksOfTheWrongSizeAreRefusedUnlessResized() throws {
        let out = try temporaryFolder()
        let layout = PredictionLayout(savePath: out, name: "x", tag: "", inferenceType: "spatial")
        let map = IntensityMap.ramp(width: 10, height: 10, from: 0, to: 1)
        let refuse = Predictor(modulator: try modulator(), layout: layout, mode: .spatial(map: map, source: "m.npy", resize: false))
        XCTAssertThrowsError(try refuse.process(fixture.appendingPathComponent("input.png"))) {
            XCTAssertTrue("\($0)".contains("m.npy") && "\($0)".contains("37x29"), "\($0)")
        }
        let resize = Predictor(modulator: try modulator(), layout: layout, mode: .spatial(map: map, source: "m.npy", resize: true))
        XCTAssertEqual(try resize.process(fixture.appendingPathComponent("input.png")).map(\.lastPathComponent), ["input_enhlvl_99.png", "input_spatial.png"])
    }

    func testMaskFilesRoundTrip() throws {
        let dir = try temporaryFolder()
        let map = IntensityMap.strips(width: 23, height: 7, count: 5, from: -0.5, to: 1.5)
        try map.write(to: dir.appendingPathComponent("m.npy"))
        XCTAssertEqual(try IntensityMap(contentsOf: dir.appendingPathComponent("m.npy")), map)
        try map.write(to: dir.appendingPathComponent("m.png"))
        let back = try IntensityMap(contentsOf: dir.appendingPathComponent("m.png"))
        for i in map.values.indices { XCTAssertEqual(back.values[i], map.values[i], accuracy: 2e-5) }
        // The reference's strips: W // n wide; the leftover columns keep 0.
        XCTAssertEqual((0..<23).map { map[$0, 0] }, [-0.5, -0.5, -0.5, -0.5, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1.5, 1.5, 1.5, 1.5, 0, 0, 0])
    }

    func testPaletteMasks() throws {
        let dir = try temporaryFolder()
        var img = RGBImage(width: 3, height: 1, red: 255, green: 255, blue: 255)
        img[1, 0, 1] = 0; img[1, 0, 2] = 0          // red
        img[2, 0, 0] = 10                              // something else
        try PNGFile.write(img, to: dir.appendingPathComponent("c.png"))
        let palette = try MaskPalette(parsing: "white=0.7,red=-0.5,*=-2")
        XCTAssertEqual(try IntensityMap(contentsOf: dir.appendingPathComponent("c.png"), palette: palette).values, [0.7, -0.5, -2])
        XCTAssertThrowsError(try IntensityMap(contentsOf: dir.appendingPathComponent("c.png"), palette: try MaskPalette(parsing: "white=1"))) {
            XCTAssertTrue("\($0)".contains("#ff0000") && "\($0)".contains("(1, 0)"), "\($0)")
        }
        XCTAssertThrowsError(try MaskPalette(parsing: "mauve=1")) { XCTAssertTrue("\($0)".contains("mauve")) }
    }
}

final class TernarySearchTests: XCTestCase {
    /// The reference image is the model's own output at 0.63: the search must close in on 0.63.
    func testTheSearchFindsAKnownOptimum() throws {
        let fixture = repositoryRoot.appendingPathComponent("Tests/Fixtures/generator/season_identity")
        let model = try LoadedModel(config: fixture.appendingPathComponent("config.yaml"), checkpoint: fixture.appendingPathComponent("model.pth"))
        let m = Modulator(generator: model.generator)
        let input = try ImageFile.readRGB(fixture.appendingPathComponent("input.png"))
        let target = try m.render(input, level: 0.63)
        for critic in [TernarySearch.Critic.psnr, .ssim] {
            let search = TernarySearch(lower: 0, higher: 1, rounds: 12, critic: critic)
            let result = try search.run(reference: target) { try m.render(input, level: $0) }
            XCTAssertEqual(result.level, 0.63, accuracy: 0.02, "\(critic)")
            XCTAssertEqual(result.probes.count, 24)
        }
    }

    func testTheWrittenFilesAndReport() throws {
        let fixture = repositoryRoot.appendingPathComponent("Tests/Fixtures/generator/season_identity")
        let model = try LoadedModel(config: fixture.appendingPathComponent("config.yaml"), checkpoint: fixture.appendingPathComponent("model.pth"))
        let m = Modulator(generator: model.generator)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("monopix-ts-\(UUID().uuidString)")
        let gt = tmp.appendingPathComponent("gt"), inputs = tmp.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: gt, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let input = try ImageFile.readRGB(fixture.appendingPathComponent("input.png"))
        try PNGFile.write(input, to: inputs.appendingPathComponent("a.png"))
        try PNGFile.write(try m.render(input, level: 0.8), to: gt.appendingPathComponent("a.png"))
        let layout = PredictionLayout(savePath: tmp.appendingPathComponent("results"), name: "n", tag: "t", inferenceType: "ternary_search")
        let p = Predictor(modulator: m, layout: layout, mode: .ternary(TernarySearch(lower: 0, higher: 1, rounds: 7, critic: .psnr), references: gt))
        let files = try p.process(inputs.appendingPathComponent("a.png")).map(\.lastPathComponent)
        XCTAssertEqual(files.first, "a_enhlvl_99.png")
        XCTAssertTrue(files.contains("search.json"))
        XCTAssertTrue(files.contains { $0 == "a_enhlvl_07.png" || $0 == "a_enhlvl_08.png" }, "\(files)")
        // A missing reference is an error naming it.
        try FileManager.default.removeItem(at: gt.appendingPathComponent("a.png"))
        XCTAssertThrowsError(try p.process(inputs.appendingPathComponent("a.png"))) { XCTAssertTrue("\($0)".contains("gt/a.png"), "\($0)") }
    }
}

final class LPIPSCriticTests: XCTestCase {
    func testTheLPIPSCriticMinimisesTheDistance() throws {
        let fixture = repositoryRoot.appendingPathComponent("Tests/Fixtures/generator/season_identity")
        let lpipsDir = repositoryRoot.appendingPathComponent("Tests/Fixtures/lpips")
        let net = try LPIPS(alexnetWeights: lpipsDir.appendingPathComponent("alexnet.pth"),
                            lpipsWeights: lpipsDir.appendingPathComponent("lpips_lin.pth"))
        let model = try LoadedModel(config: fixture.appendingPathComponent("config.yaml"), checkpoint: fixture.appendingPathComponent("model.pth"))
        let m = Modulator(generator: model.generator)
        let input = try ImageFile.readRGB(fixture.appendingPathComponent("input.png")).resized(width: 74, height: 58)
        let target = try m.render(input, level: 0.3)
        let result = try TernarySearch(lower: 0, higher: 1, rounds: 10, critic: .lpips(net)).run(reference: target) { try m.render(input, level: $0) }
        XCTAssertEqual(result.level, 0.3, accuracy: 0.05)
    }
}
