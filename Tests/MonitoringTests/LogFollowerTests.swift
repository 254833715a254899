import XCTest
@testable import Monitoring

final class LogFollowerTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("follower-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func append(_ text: String, to url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        let h = try FileHandle(forWritingTo: url)
        h.seekToEndOfFile()
        h.write(text.data(using: .utf8)!)
        try h.close()
    }

    func testWaitsForTheFileThenReadsCompleteLinesOnce() throws {
        let url = directory.appendingPathComponent("log.txt")
        let follower = LogFollower(path: url.path)
        XCTAssertEqual(follower.poll().lines, [])
        try append("one\ntw", to: url)
        let first = follower.poll()
        XCTAssertEqual(first.change, .opened)
        XCTAssertEqual(first.lines, ["one"])
        try append("o\r\nthree\n", to: url)
        XCTAssertEqual(follower.poll().lines, ["two", "three"])
        XCTAssertEqual(follower.poll().lines, [])
    }

    func testSurvivesTruncation() throws {
        let url = directory.appendingPathComponent("metrics.jsonl")
        try append("a long first line\nsecond line\n", to: url)
        let follower = LogFollower(path: url.path)
        XCTAssertEqual(follower.poll().lines.count, 2)
        // A new run rewrites the file in place (same inode, shorter).
        let h = try FileHandle(forWritingTo: url)
        try h.truncate(atOffset: 0)
        try h.close()
        try append("new\n", to: url)
        let after = follower.poll()
        XCTAssertEqual(after.change, .truncated)
        XCTAssertEqual(after.lines, ["new"])
        try append("newer\n", to: url)
        XCTAssertEqual(follower.poll().lines, ["newer"])
    }

    func testFollowsRotation() throws {
        let url = directory.appendingPathComponent("loss_log.txt")
        try append("old 1\n", to: url)
        let follower = LogFollower(path: url.path)
        XCTAssertEqual(follower.poll().lines, ["old 1"])
        try append("old 2 without newline", to: url)
        try FileManager.default.moveItem(at: url, to: directory.appendingPathComponent("loss_log.txt.1"))
        try append("fresh 1\n", to: url)
        let after = follower.poll()
        XCTAssertEqual(after.change, .rotated)
        XCTAssertEqual(after.lines, ["old 2 without newline", "fresh 1"])
    }
}
