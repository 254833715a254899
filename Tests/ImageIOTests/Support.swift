import Foundation
import XCTest
import ImageIO

/// Where the committed fixtures live: …/Tests/ImageIOTests/Support.swift → repo root → Tests/Fixtures/images.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures/images", isDirectory: true)

    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(name))) }
}

/// The pixel formulas of scripts/make_image_fixtures.py (`formulas()`), 13x7 images.
enum Formula {
    static let width = 13, height = 7

    static func g8(_ x: Int, _ y: Int) -> Int { (x * 17 + y * 36 + 5) % 256 }
    static func g16(_ x: Int, _ y: Int) -> Int { (x * 4099 + y * 9001 + 1234) % 65536 }
    static func a8(_ x: Int, _ y: Int) -> Int { ((255 - x * 13 - y * 11) % 256 + 256) % 256 }
    static func a16(_ x: Int, _ y: Int) -> Int { ((65535 - x * 3001 - y * 5003) % 65536 + 65536) % 65536 }
    static func rgb8(_ x: Int, _ y: Int) -> [Int] { [(x * 19 + y * 3) % 256, (y * 37 + x * 2) % 256, (x * y * 11 + 3) % 256] }
    static func rgb16(_ x: Int, _ y: Int) -> [Int] {
        [(x * 5003 + y * 71) % 65536, (y * 7919 + x * 13 + 500) % 65536, (x * y * 1543 + 40000) % 65536]
    }
    static func g4(_ x: Int, _ y: Int) -> Int { (x + 3 * y) % 16 }
    static func index(_ x: Int, _ y: Int) -> Int { (x + 2 * y) % 16 }
    static func palette(_ i: Int) -> [Int] { [(i * 16 + 5) % 256, (255 - i * 15 + 256) % 256, (i * 37) % 256] }
    static func paletteAlpha(_ i: Int) -> Int { i < 8 ? i * 32 : 255 }
    static let grayTRNS = 41

    /// libpng's png_set_scale_16: round(v / 257) (257 is odd, so there are no ties).
    static func scale16(_ v: Int) -> Int { Int((Double(v) / 257).rounded()) }

    /// Samples in HWC order for `channels` per pixel given by `f`.
    static func samples(_ f: (Int, Int) -> [Int]) -> [UInt16] {
        var out: [UInt16] = []
        for y in 0..<height { for x in 0..<width { out += f(x, y).map { UInt16($0) } } }
        return out
    }

    static func rgbImage(_ f: (Int, Int) -> [Int]) -> RGBImage {
        RGBImage(width: width, height: height, pixels: samples(f).map { UInt8($0) })
    }
}

/// A fresh folder under the system temp folder, removed by `tearDown` callers.
func makeTemporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("imageio-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Asserts that `body` throws an `ImageIOError` and hands it to `check`.
func assertImageIOError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
                           _ check: (ImageIOError) -> Bool) {
    do {
        _ = try body()
        XCTFail("expected an ImageIOError, got a value", file: file, line: line)
    } catch let error as ImageIOError {
        XCTAssertTrue(check(error), "unexpected error: \(error)", file: file, line: line)
    } catch {
        XCTFail("expected an ImageIOError, got \(error)", file: file, line: line)
    }
}
