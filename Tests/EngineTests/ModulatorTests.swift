import XCTest
import Engine
import ImageIO
import Kernels
import Model

final class ModulatorTests: XCTestCase {
    func smallModulator(_ configure: (inout GeneratorOptions) -> Void = { _ in }) -> Modulator {
        var o = GeneratorOptions()
        o.widthMultiplier = 1.0 / 16
        configure(&o)
        return Modulator(generator: .random(options: o, seed: 3))
    }

    func gradientImage(width: Int, height: Int) -> RGBImage {
        var img = RGBImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width {
            img[x, y, 0] = UInt8(x * 255 / max(1, width - 1)); img[x, y, 1] = UInt8(y * 255 / max(1, height - 1)); img[x, y, 2] = 90
        } }
        return img
    }

    func testTrajectoryEqualsOneRenderPerLevel() throws {
        let m = smallModulator()
        let image = gradientImage(width: 21, height: 18)
        let levels: [Float] = [0, 0.3, 1, 1.7, -0.5]
        let batched = try m.trajectory(image, levels: levels)
        XCTAssertEqual(batched.count, levels.count)
        for (i, l) in levels.enumerated() {
            XCTAssertEqual(batched[i], try m.render(image, level: l), "level \(l)")
        }
        XCTAssertEqual(batched[0].width, 21)
        XCTAssertEqual(batched[0].height, 18)
    }

    func testAUniformMapEqualsTheScalarLevel() throws {
        let m = smallModulator { $0.norm = .instance }
        let image = gradientImage(width: 17, height: 33)
        let map = IntensityMap(width: 17, height: 33, constant: 0.6)
        XCTAssertEqual(try m.render(image, map: map), try m.render(image, level: 0.6))
        // A map that differs in one corner changes the output there.
        var bumped = map
        bumped[0, 0] = 3
        XCTAssertNotEqual(try m.render(image, map: bumped), try m.render(image, level: 0.6))
    }

    func testNoiseModelsAreDeterministicForASeed() throws {
        var m = smallModulator { $0.useNoise = true }
        let image = gradientImage(width: 16, height: 16)
        let a = try m.render(image, level: 0.5)
        XCTAssertEqual(a, try m.render(image, level: 0.5))
        m.noiseSeed = 9
        XCTAssertNotEqual(a, try m.render(image, level: 0.5))
    }
}
