import XCTest
import Engine
import ImageIO

final class LevelCacheTests: XCTestCase {
    func testEvictionKeepsMemoryUnderTheBoundAndKeepsTheNearestLevels() {
        let frame = RGBImage(width: 10, height: 10)      // 300 bytes
        let cache = LevelCache(capacityBytes: 1000)      // room for three
        _ = cache.preview(at: 0.5)                       // the user is at 0.5
        for level in stride(from: Float(0), through: 1, by: 0.1) {
            cache.insert(frame, level: level)
            XCTAssertLessThanOrEqual(cache.bytes, 1000)
        }
        XCTAssertEqual(cache.levels.count, 3)
        XCTAssertTrue(cache.levels.allSatisfy { abs($0 - 0.5) < 0.35 }, "\(cache.levels)")
    }

    func testThePreviewBlendsTheTwoNearestLevels() {
        let cache = LevelCache(capacityBytes: 1 << 20)
        cache.insert(RGBImage(width: 2, height: 1, red: 100, green: 0, blue: 0), level: 0.2)
        cache.insert(RGBImage(width: 2, height: 1, red: 200, green: 0, blue: 0), level: 0.6)
        XCTAssertEqual(cache.preview(at: 0.3)?[0, 0, 0], 125)
        XCTAssertEqual(cache.preview(at: 0.9)?[0, 0, 0], 200, "beyond the cached range: the nearest")
        XCTAssertEqual(cache.missing(ladder: [0, 0.2, 0.4, 0.6, 0.8], near: 0.7), [0.8, 0.4, 0])
    }
}
