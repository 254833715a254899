import Foundation
import XCTest
import Model

/// The repository root, found from this file's path, so tests read the committed configs and fixtures.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

final class ConfigTests: XCTestCase {
    func config(_ name: String) throws -> MonoPixConfig {
        try MonoPixConfig(contentsOf: repositoryRoot.appendingPathComponent("configs/\(name).yaml"))
    }

    func testTheReferenceConfigsLoadWithTheirOptions() throws {
        let lowlight = try config("MonoPix_LowLight_Default")
        XCTAssertEqual(lowlight.string("model"), "cycleCtrl_lowlight")
        XCTAssertEqual(lowlight.int("batchSize"), 16)
        XCTAssertEqual(lowlight.number("margin"), 0.33)
        XCTAssertFalse(lowlight.flag("out_tanh"))
        let g = try GeneratorOptions(config: lowlight)
        XCTAssertEqual(g.norm, .batch)
        XCTAssertTrue(g.selfAttention && g.timesResidual && g.relativeControl)
        XCTAssertEqual(g.inputChannels, 5)

        let season = try config("MonoPix_SummerWinter_Default")
        XCTAssertTrue(season.flag("out_tanh"), "absent keys take the reference's default (out_tanh 1)")
        XCTAssertEqual(season.number("skip"), 1)
        XCTAssertEqual(try GeneratorOptions(config: season).norm, .identity)
        XCTAssertEqual(try GeneratorOptions(config: config("MonoPix_SummerWinter_InsNorm")).norm, .instance)
        XCTAssertEqual(try GeneratorOptions(config: config("MonoPix_Noise_Default")).inputChannels, 5)
        XCTAssertEqual(try config("MonoPix_CatDog_Default").string("Dnorm"), "instance")
    }

    func testUnknownKeysAreKeptAndListed() throws {
        let c = try MonoPixConfig(yaml: "name: x\nmy_extra: 3\nIsRelativeCtrl: 1\n", source: "x.yaml")
        XCTAssertEqual(c.unknownKeys, ["my_extra"])
        XCTAssertEqual(c.int("my_extra"), 3)
    }

    func testAWrongTypeNamesTheKeyAndTheFile() {
        XCTAssertThrowsError(try MonoPixConfig(yaml: "batchSize: many\n", source: "bad.yaml")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("bad.yaml") && text.contains("batchSize") && text.contains("integer"), text)
        }
        XCTAssertThrowsError(try GeneratorOptions(config: MonoPixConfig(yaml: "which_model_netG: sid_unet_resize_ctrl\nGnorm: group\n", source: "g.yaml"))) {
            XCTAssertTrue("\($0)".contains("Gnorm"))
        }
    }

    /// An integer key given a whole number too large for Int (a fuzz finding: 1e30 crashed the conversion).
    func testAnIntegerTooLargeIsAWrongTypeNotACrash() {
        for text in ["batchSize: 1e30\n", "batchSize: -1e19\n", "fineSize: 9.3e18\n"] {
            XCTAssertThrowsError(try MonoPixConfig(yaml: text, source: "big.yaml"), text) { error in
                XCTAssertTrue("\(error)".contains("big.yaml") && "\(error)".contains("integer"), "\(error)")
            }
        }
        XCTAssertEqual(try MonoPixConfig(yaml: "batchSize: 4.0\n", source: "ok.yaml").int("batchSize"), 4)
    }

    /// Nested aliases ("billion laughs"): 500 bytes that expanded to 10^9 nodes when a nested list was described.
    func testNestedListsAreRefusedSoAliasesCannotExplode() {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in 1...8 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]") }
        let start = Date()
        XCTAssertThrowsError(try MonoPixConfig(yaml: lines.joined(separator: "\n"), source: "laughs.yaml")) { error in
            XCTAssertEqual(error as? ConfigError, .wrongType(file: "laughs.yaml", key: "a1", expected: "a scalar or a list of scalars",
                                                            found: "a list holding a list or a mapping"))
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
        XCTAssertEqual(try MonoPixConfig(yaml: "gpu_ids: [0, 1]\nx: &x 3\ny: *x", source: "ok.yaml").values["y"], .int(3))
    }

    func testAnOversizedConfigFileIsRefusedUnread() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(repeating: 0x20, count: MonoPixConfig.maxFileBytes + 1).write(to: url)
        XCTAssertThrowsError(try MonoPixConfig(contentsOf: url)) { error in
            XCTAssertEqual(error as? ConfigError, .malformed(file: url.path, reason: "1048577 bytes; a config is a few KB, at most 1048576"))
        }
    }

    func testReferenceWidthsHaveTheKnownParameterCount() {
        var o = GeneratorOptions()
        o.relativeControl = true
        XCTAssertEqual(Generator.parameterCount(o), 8_630_851)
    }

    func testReleasedKeyNamesAreNormalized() {
        XCTAssertEqual(Generator.normalizedKey("module.bn1_2.running_mean"), "norm1_2.running_mean")
        XCTAssertEqual(Generator.normalizedKey("conv1_1.weight"), "conv1_1.weight")
        XCTAssertEqual(Generator.normalizedKey("norm3_1.weight"), "norm3_1.weight")
    }
}
