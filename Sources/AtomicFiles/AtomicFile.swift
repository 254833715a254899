import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way files are replaced: a temporary file beside the target, written, fsync'ed, renamed over the target,
/// then the folder fsync'ed. A process killed at any moment leaves the old file or the new one under the final
/// name, never a part; what it may leave is its temporary file, named `.<name>.tmp-<pid>-<6 chars>` so that the
/// next writer in that folder can tell it is stale (its process is gone) and remove it (`sweepStale`).
public enum AtomicFile {
    /// An errno-carrying failure; each module turns it into its own error type.
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let errno: Int32
        public var reason: String { String(cString: strerror(errno)) }
        public var description: String { "\(path): \(reason)" }
    }

    /// The prefix every temporary file for `name` starts with; the writer's pid and a random suffix follow.
    static func temporaryPrefix(for name: String) -> String { ".\(name).tmp-" }

    /// Writes `url` through `body`, which gets the descriptor of the new temporary file. If anything throws, the
    /// temporary file is removed and an existing `url` is left untouched. The new file keeps the mode of the file
    /// it replaces, or gets `mode`.
    public static func write(to url: URL, mode: mode_t = 0o644, _ body: (Int32) throws -> Void) throws {
        let pending = try Pending(url, mode: mode)
        try body(pending.descriptor)
        try pending.commit()
    }

    /// A replacement of `url` written over time (several files of a batch filled band by band): the temporary file
    /// is open until `commit()` puts it in place; one dropped before that removes it and leaves `url` as it was.
    public final class Pending {
        public let url: URL
        public let descriptor: Int32
        private let temporary: String
        private var isOpen = true
        /// Renamed into place or removed: nothing left to undo.
        private var settled = false

        public init(_ url: URL, mode: mode_t = 0o644) throws {
            self.url = url
            let path = url.path
            var template = Array("\(url.deletingLastPathComponent().path)/\(temporaryPrefix(for: url.lastPathComponent))\(getpid())-XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { throw Failure(path: path, errno: errno) }
            descriptor = fd
            temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            var existing = stat()
            let newMode = stat(path, &existing) == 0 ? existing.st_mode & 0o7777 : mode
            guard fchmod(fd, newMode) == 0 else {
                let e = errno
                discard()
                throw Failure(path: path, errno: e)
            }
        }

        /// fsync, close, rename over `url`, fsync the folder.
        public func commit() throws {
            let path = url.path
            defer { discard() }
            guard fsync(descriptor) == 0 else { throw Failure(path: path, errno: errno) }
            isOpen = false
            guard close(descriptor) == 0 else { throw Failure(path: path, errno: errno) }
            guard rename(temporary, path) == 0 else { throw Failure(path: path, errno: errno) }
            settled = true
            syncFolder(of: url)
        }

        /// Gives up: the temporary file is closed and removed (nothing once committed).
        public func discard() {
            if isOpen { close(descriptor); isOpen = false }
            if !settled { unlink(temporary); settled = true }
        }

        deinit { discard() }
    }

    /// `data` as the whole new content of `url`.
    public static func write(_ data: Data, to url: URL, mode: mode_t = 0o644) throws {
        try write(to: url, mode: mode) { fd in try writeAll(data, to: fd, path: url.path) }
    }

    /// For writers that need a path rather than a descriptor (a zip library): `body` creates the file at the
    /// temporary path it is given; it is then fsync'ed and renamed over `url` like `write(to:_:)`.
    public static func writeThroughPath(to url: URL, _ body: (URL) throws -> Void) throws {
        let suffix = String((0..<6).map { _ in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".randomElement()! })
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent("\(temporaryPrefix(for: url.lastPathComponent))\(getpid())-\(suffix)")
        var renamed = false
        defer { if !renamed { unlink(temp.path) } }
        try body(temp)
        let fd = open(temp.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: url.path, errno: errno) }
        let synced = fsync(fd) == 0 ? 0 : errno
        close(fd)
        guard synced == 0 else { throw Failure(path: url.path, errno: synced) }
        guard rename(temp.path, url.path) == 0 else { throw Failure(path: url.path, errno: errno) }
        renamed = true
        syncFolder(of: url)
    }

    /// Every byte of `data` to `fd`, across short writes and EINTR.
    public static func writeAll(_ data: Data, to fd: Int32, path: String) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(path: path, errno: errno)
                }
                offset += n
            }
        }
    }

    /// So the rename itself survives a power cut; best effort (some file systems refuse to sync a folder).
    static func syncFolder(of url: URL) {
        let fd = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// Removes the temporary files in `folder` left by writers that were killed: ours (`.<name>.tmp-<pid>-…`)
    /// whose process is gone, and those of the older namings (`.<name>.tmp-<anything>`) once they are an hour
    /// old. Writers that are alive keep theirs. Returns how many were removed; a folder that cannot be read is 0.
    @discardableResult
    public static func sweepStale(in folder: URL, now: Date = Date()) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix(".") {
            guard let marker = name.range(of: ".tmp-", options: .backwards), marker.lowerBound > name.index(after: name.startIndex) else { continue }
            let tail = name[marker.upperBound...]
            let path = folder.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let stale: Bool
            if let dash = tail.firstIndex(of: "-"), let pid = Int32(tail[..<dash]), pid > 0, tail[tail.index(after: dash)...].count == 6 {
                stale = !isRunning(pid)
            } else {
                let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? now
                stale = now.timeIntervalSince(modified) > 3600
            }
            if stale, unlink(path) == 0 { removed += 1 }
        }
        return removed
    }
}

/// Whether `pid` names a process that still runs. A killed writer whose parent has not reaped it yet is a zombie:
/// `kill(pid, 0)` still finds it, yet it will never finish its file. Containers whose first process reaps nothing
/// keep such zombies for good, so on Linux their state is read from /proc.
func isRunning(_ pid: Int32) -> Bool {
    if kill(pid, 0) != 0 && errno == ESRCH { return false }
    #if os(Linux)
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    // `pid (name) S …`: the state follows the name, which may itself hold spaces and parentheses.
    let state = stat[close...].dropFirst().drop(while: { $0 == " " }).first
    return state != "Z" && state != "X"
    #else
    return true
    #endif
}

/// `write(2)`, out of reach of `AtomicFile.write`'s name inside the enum.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
