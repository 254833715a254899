import XCTest
import Engine
import ImageIO

final class ScrubLadderTests: XCTestCase {
    let image = RGBImage(width: 4, height: 2, red: 50, green: 60, blue: 70)

    func testFramesAreKeptPerSubjectAndBlendedBetweenLevels() {
        let ladder = ScrubLadder(range: 0...1, levels: 5)
        XCTAssertEqual(ladder.ladder, [0, 0.25, 0.5, 0.75, 1])
        var painted = [Float](repeating: .nan, count: 8)
        painted[3] = 0.9
        let subject = ScrubSubject(image: image, painted: painted)
        XCTAssertNil(ladder.preview(of: subject, at: 0.5), "nothing cached yet")
        ladder.remember(RGBImage(width: 4, height: 2, red: 100), of: subject, at: 0.25)
        ladder.remember(RGBImage(width: 4, height: 2, red: 200), of: subject, at: 0.75)

        // The same painted values in a new array (NaN and all) are the same subject.
        let again = ScrubSubject(image: image, painted: painted.map { $0 })
        XCTAssertEqual(ladder.preview(of: again, at: 0.5)?.image[0, 0, 0], 150)
        XCTAssertEqual(ladder.preview(of: again, at: 0.5)?.exact, false)
        XCTAssertEqual(ladder.preview(of: again, at: 0.75)?.exact, true)
        XCTAssertEqual(ladder.nextLevel(for: again, near: 0.6), 0.5, "the nearest missing ladder level first")

        // A stroke is another subject: nothing to show, and its first frame replaces the old ones.
        painted[4] = 0.1
        let stroked = ScrubSubject(image: image, painted: painted)
        XCTAssertNil(ladder.preview(of: stroked, at: 0.5))
        XCTAssertNil(ladder.nextLevel(for: stroked, near: 0.5), "no filling for a subject never rendered")
        ladder.remember(RGBImage(width: 4, height: 2, red: 10), of: stroked, at: 1)
        XCTAssertEqual(ladder.cachedLevels, [1])
        XCTAssertNil(ladder.preview(of: subject, at: 0.5))
    }

    func testTheIntensityFollowsTheLevelOnlyWhereNothingWasPainted() {
        let subject = ScrubSubject(image: RGBImage(width: 2, height: 1), painted: [.nan, 0.3])
        XCTAssertEqual(subject.intensity(at: 0.8).values, [0.8, 0.3])
        XCTAssertEqual(ScrubSubject(image: RGBImage(width: 2, height: 1), painted: nil).intensity(at: -1).values, [-1, -1])
    }

    func testFillingStopsWhereTheCacheIsFull() {
        let ladder = ScrubLadder(range: 0...1, levels: 11, capacityBytes: 3 * 24)   // three 4x2 frames
        let subject = ScrubSubject(image: image, painted: nil)
        ladder.remember(image, of: subject, at: 0.5)
        var filled = 0
        while let level = ladder.nextLevel(for: subject, near: 0.5) {
            ladder.remember(image, of: subject, at: level)
            filled += 1
            XCTAssertLessThan(filled, 20, "runaway filling")
        }
        XCTAssertEqual(ladder.cachedLevels, [0.4, 0.5, 0.6])
        XCTAssertLessThanOrEqual(ladder.bytes, 3 * 24)
    }

    func testLevelsAreAddedWhereNeighbouringFramesDifferMost() {
        let ladder = ScrubLadder(range: 0...1, levels: 3, refineAbove: 2, maxLevels: 5)
        let subject = ScrubSubject(image: image, painted: nil)
        // The model jumps between 0 and 0.5 and hardly moves between 0.5 and 1.
        ladder.remember(RGBImage(width: 4, height: 2, red: 0), of: subject, at: 0)
        ladder.remember(RGBImage(width: 4, height: 2, red: 200), of: subject, at: 0.5)
        ladder.remember(RGBImage(width: 4, height: 2, red: 201), of: subject, at: 1)
        XCTAssertEqual(ladder.nextLevel(for: subject, near: 0.9), 0.25)
        ladder.remember(RGBImage(width: 4, height: 2, red: 190), of: subject, at: 0.25)
        XCTAssertEqual(ladder.nextLevel(for: subject, near: 0.9), 0.125)
        ladder.remember(RGBImage(width: 4, height: 2, red: 100), of: subject, at: 0.125)
        XCTAssertNil(ladder.nextLevel(for: subject, near: 0.9), "at most five levels")
    }

    func testLargeImagesBlendSampledDownCopiesAndKeepTheirLadder() {
        let side = ScrubLadder.previewSide * 2
        let ladder = ScrubLadder(range: 0...1, levels: 3, capacityBytes: side * 4 * 3 * 2)   // two full frames
        let subject = ScrubSubject(image: RGBImage(width: side, height: 4), painted: nil)
        ladder.remember(RGBImage(width: side, height: 4, red: 0), of: subject, at: 0)
        ladder.remember(RGBImage(width: side, height: 4, red: 100), of: subject, at: 0.5)
        ladder.remember(RGBImage(width: side, height: 4, red: 200), of: subject, at: 1)
        let blend = ladder.preview(of: subject, at: 0.25)
        XCTAssertEqual(blend?.image.width, ScrubLadder.previewSide, "blended at the preview size")
        XCTAssertEqual(blend?.image[0, 0, 0], 50)
        XCTAssertEqual(blend?.exact, false)
        XCTAssertEqual(ladder.preview(of: subject, at: 0.5)?.image.width, side, "an exact hit is the full frame")
    }
}
