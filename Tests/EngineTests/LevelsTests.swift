import XCTest
import Engine
import Foundation

final class LevelsTests: XCTestCase {
    /// Values and names printed by torch 2.15 for `torch.linspace(lo, hi, 11)` and `'{:02d}'.format(int(10 * x))`.
    func testLinspaceAndFileTagsMatchTorch() {
        XCTAssertEqual(Levels.linspace(-1, 2, count: 11),
                       [-1.0, -0.699999988079071, -0.3999999761581421, -0.09999996423721313, 0.20000004768371582,
                        0.4999999403953552, 0.7999999523162842, 1.0999999046325684, 1.399999976158142,
                        1.7000000476837158, 2.0].map { Float($0) })
        XCTAssertEqual(Levels.linspace(-1, 2, count: 11).map { Levels.fileTag($0) },
                       ["-10", "-7", "-3", "00", "02", "04", "07", "10", "14", "17", "20"])
        XCTAssertEqual(Levels.linspace(0, 1, count: 11).map { Levels.fileTag($0) },
                       ["00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10"])
        XCTAssertEqual(Levels.linspace(0, 1.5, count: 11).map { Levels.fileTag($0) },
                       ["00", "01", "03", "04", "06", "07", "09", "10", "12", "13", "15"])
    }

    /// The reference names levels by tenths, so a 21-level trajectory would write 0.50 and 0.55 to one file: finer
    /// trajectories get finer names, and 11-level ones keep the reference's.
    func testFinerTrajectoriesGetNamesThatTellTheirLevelsApart() {
        XCTAssertEqual(Levels.tagDecimals(for: Levels.linspace(0, 1, count: 11)), 1)
        let fine = Levels.linspace(0, 1, count: 21)
        XCTAssertEqual(Levels.tagDecimals(for: fine), 2)
        XCTAssertEqual(fine.map { Levels.fileTag($0, decimals: 2) }.prefix(4), ["000", "005", "010", "015"])
        XCTAssertEqual(Levels.fileTag(1, decimals: 2), "100")
        XCTAssertEqual(Levels.fileTag(-0.05, decimals: 2), "-005")
        XCTAssertEqual(Levels.fileTag(-0.5), "-5")
        let layout = PredictionLayout(savePath: URL(fileURLWithPath: "/r"), name: "n", tag: "t", inferenceType: "exhaustive", levels: fine)
        XCTAssertEqual(Set(fine.map { layout.levelFile(for: URL(fileURLWithPath: "/in/a.png"), level: $0).lastPathComponent }).count, 21)
    }
}
