import AtomicFiles
import Foundation
import XCTest

final class AtomicFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() }

    /// The pid of a process that has exited (and been reaped), so `kill(pid, 0)` answers ESRCH.
    private func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    func testReplacesTheFileAndLeavesNothingElse() throws {
        let url = folder.appendingPathComponent("a.json")
        try AtomicFile.write(Data("old".utf8), to: url)
        try AtomicFile.write(Data("new".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "new")
        XCTAssertEqual(try names(), ["a.json"])
    }

    func testAFailedWriteKeepsTheOldFileAndRemovesItsTemporary() throws {
        struct Boom: Error {}
        let url = folder.appendingPathComponent("a.bin")
        try AtomicFile.write(Data("old".utf8), to: url)
        XCTAssertThrowsError(try AtomicFile.write(to: url) { fd in
            try AtomicFile.writeAll(Data("half".utf8), to: fd, path: url.path)
            throw Boom()
        })
        XCTAssertThrowsError(try AtomicFile.writeThroughPath(to: url, { temp in
            try Data("half".utf8).write(to: temp)
            throw Boom()
        }))
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "old")
        XCTAssertEqual(try names(), ["a.bin"])
    }

    /// What a writer killed with SIGKILL leaves is removed by the next sweep; a live writer's temporary file, other
    /// dot files and recent temporaries of the older namings are kept.
    func testTheSweepRemovesOnlyTheTemporariesOfDeadWriters() throws {
        let dead = try deadPID()
        let stale = [".a.png.tmp-\(dead)-Ab12Cd", ".latest_net_G_A.safetensors.tmp-\(dead)-zzzzzz"]
        let kept = [".b.png.tmp-\(getpid())-Xy34Zw", ".hidden", ".c.npy.tmp-ABC123", "d.png", ".tmp-\(dead)-Ab12Cd"]
        for name in stale + kept { try Data("x".utf8).write(to: folder.appendingPathComponent(name)) }
        let old = folder.appendingPathComponent(".e.json.tmp-\(UUID().uuidString)")
        try Data("x".utf8).write(to: old)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: old.path)

        XCTAssertEqual(AtomicFile.sweepStale(in: folder), 3)
        XCTAssertEqual(try names(), kept.sorted())
        XCTAssertEqual(AtomicFile.sweepStale(in: folder.appendingPathComponent("missing")), 0)
    }

    /// A writer killed while its parent has not reaped it (or never will: a container's first process that reaps
    /// nothing) is a zombie; its temporary file is stale all the same.
    func testTheSweepTreatsAZombieWriterAsGone() throws {
        #if !os(Linux)
        throw XCTSkip("zombies are told apart through /proc")
        #endif
        var child: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { argv.forEach { free($0) } }
        XCTAssertEqual(posix_spawn(&child, "/bin/true", nil, nil, &argv, environ), 0)
        defer { var status: Int32 = 0; waitpid(child, &status, 0) }
        // Not reaped: it stays a zombie until the waitpid above.
        var state: Character? = nil
        for _ in 0..<200 where state != "Z" {
            usleep(10_000)
            let stat = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
            state = stat.lastIndex(of: ")").flatMap { stat[$0...].dropFirst(2).first }
        }
        XCTAssertEqual(state, "Z")
        let name = ".a.npy.tmp-\(child)-Ab12Cd"
        try Data("x".utf8).write(to: folder.appendingPathComponent(name))
        XCTAssertEqual(AtomicFile.sweepStale(in: folder), 1)
        XCTAssertEqual(try names(), [])
    }

    /// A temporary file is named after its writer, so the sweep can tell whether that writer is still alive.
    func testTemporariesCarryTheWritersPID() throws {
        let url = folder.appendingPathComponent("a.bin")
        var seen: [String] = []
        try AtomicFile.write(to: url) { (_: Int32) in seen = try self.names() }
        XCTAssertEqual(seen.count, 1)
        XCTAssertTrue(seen[0].hasPrefix(".a.bin.tmp-\(getpid())-"), seen[0])
        XCTAssertEqual(AtomicFile.sweepStale(in: folder), 0)
    }
}
