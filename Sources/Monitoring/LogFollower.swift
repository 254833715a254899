#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Follows a growing text file like `tail -F`: returns each complete line once, waits for a file that does not
/// exist yet, starts again from the top when the file is truncated, and moves on to the new file when the old one
/// is renamed away (rotation), after reading what was still written to the old one.
///
/// Not thread-safe: one owner polls it.
public final class LogFollower {
    /// What happened to the file since the last poll, besides new lines.
    public enum Change: Sendable, Equatable {
        case none
        /// The file appeared (or reappeared after being missing).
        case opened
        /// The file became shorter than what was read: a new run overwrote it. Earlier lines are stale.
        case truncated
        /// The path now names a different file; reading continues at its start.
        case rotated
    }

    public let path: String
    /// The longest line kept; longer ones are cut (a runaway writer must not exhaust memory).
    public let maxLineBytes: Int

    private var fd: Int32 = -1
    private var identity: (dev: UInt64, ino: UInt64)?
    private var offset: Int64 = 0
    private var partial: [UInt8] = []

    public init(path: String, maxLineBytes: Int = 1 << 16) {
        self.path = path
        self.maxLineBytes = maxLineBytes
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Reads what was appended since the last call.
    public func poll() -> (lines: [String], change: Change) {
        var change = Change.none
        var lines: [String] = []
        if fd < 0 {
            guard reopen() else { return ([], .none) }
            change = .opened
        } else if let now = statPath(), let current = identity, now.dev != current.dev || now.ino != current.ino {
            // Rotated: finish the old file, then switch.
            lines += readAvailable()
            flushPartial(into: &lines)
            close(fd)
            fd = -1
            if reopen() { change = .rotated }
            lines += readAvailable()
            return (lines, change)
        }
        var st = stat()
        if fstat(fd, &st) == 0, Int64(st.st_size) < offset {
            offset = 0
            partial.removeAll()
            change = .truncated
        }
        lines += readAvailable()
        return (lines, change)
    }

    private func reopen() -> Bool {
        let f = open(path, O_RDONLY | O_CLOEXEC)
        guard f >= 0 else { return false }
        var st = stat()
        guard fstat(f, &st) == 0 else { close(f); return false }
        fd = f
        identity = (UInt64(st.st_dev), UInt64(st.st_ino))
        offset = 0
        partial.removeAll()
        return true
    }

    private func statPath() -> (dev: UInt64, ino: UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    private func readAvailable() -> [String] {
        guard fd >= 0 else { return [] }
        var lines: [String] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard n > 0 else { break }
            offset += Int64(n)
            var start = 0
            for i in 0..<n where buffer[i] == UInt8(ascii: "\n") {
                partial.append(contentsOf: buffer[start..<i])
                lines.append(takePartial())
                start = i + 1
            }
            partial.append(contentsOf: buffer[start..<n])
            if partial.count > maxLineBytes { partial.removeLast(partial.count - maxLineBytes) }
        }
        return lines
    }

    private func takePartial() -> String {
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        let line = String(decoding: partial.prefix(maxLineBytes), as: UTF8.self)
        partial.removeAll(keepingCapacity: true)
        return line
    }

    /// A rotated-away file's last line may lack its newline: it is complete all the same.
    private func flushPartial(into lines: inout [String]) {
        if !partial.isEmpty { lines.append(takePartial()) }
    }
}
