import Kernels
import XCTest

final class RegionTests: XCTestCase {
    func testIntersection() {
        let a = Region(top: 2, bottom: 10, left: 3, right: 8)
        XCTAssertEqual(a.intersection(Region(top: 5, bottom: 20, left: 0, right: 4)), Region(top: 5, bottom: 10, left: 3, right: 4))
        XCTAssertEqual(a.intersection(Region(top: 10, bottom: 12, left: 3, right: 8)), .empty)
        XCTAssertEqual(a.intersection(.empty), .empty)
    }

    /// Scaling rounds outward, so the scaled region covers every pixel the original touches at the other scale.
    func testScaledRoundsOutward() {
        let a = Region(top: 3, bottom: 9, left: 5, right: 6)
        XCTAssertEqual(a.scaled(by: 0.5), Region(top: 1, bottom: 5, left: 2, right: 3))
        XCTAssertEqual(a.scaled(by: 0.25), Region(top: 0, bottom: 3, left: 1, right: 2))
        XCTAssertEqual(a.scaled(by: 2), Region(top: 6, bottom: 18, left: 10, right: 12))
        XCTAssertEqual(Region.empty.scaled(by: 0.5), .empty)
    }
}
