import CImageCodecs
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file-system side of ImageIO: sniffing signatures, turning errno and codec errors into `ImageIOError`,
/// and atomic writes. Internal; the public entry points are `PNGFile`, `JPEGFile` and `ImageFile`.
enum FileAccess {
    /// The system's text for an errno value.
    static func describe(errno code: Int32) -> String { String(cString: strerror(code)) }

    /// A read-side errno as an `ImageIOError`.
    static func readError(errno code: Int32, path: String) -> ImageIOError {
        switch code {
        case ENOENT, ENOTDIR: return .notFound(path: path)
        default: return .unreadable(path: path, reason: describe(errno: code))
        }
    }

    /// Up to `count` bytes from the start of the file.
    static func leadingBytes(of url: URL, count: Int = 16) throws -> [UInt8] {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw readError(errno: errno, path: path) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw readError(errno: errno, path: path)
            }
            filled += n
        }
        return Array(bytes[..<filled])
    }

    /// What a file that is not the expected image starts with, for the error message.
    static func describeLeadingBytes(_ bytes: [UInt8]) -> String {
        if bytes.isEmpty { return "the file is empty" }
        let hex = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        return "starts with \(hex)"
    }

    /// The message in a C `mpx_error`.
    static func message(_ err: mpx_error) -> String {
        var copy = err
        return withUnsafeBytes(of: &copy.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }

    /// The first warning in a C `mpx_error`.
    static func firstWarning(_ err: mpx_error) -> String {
        var copy = err
        return withUnsafeBytes(of: &copy.first_warning) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }

    /// A failed codec call on the read side: the system's fault (errno) or the data's.
    static func codecReadError(_ err: mpx_error, path: String, format: ImageFormat) -> ImageIOError {
        if err.sys_errno != 0 { return readError(errno: err.sys_errno, path: path) }
        return .corrupt(path: path, format: format, message: message(err))
    }

    /// Writes `url` atomically: `body` gets the descriptor of a new temporary file in the same folder
    /// (`.<name>.tmp-XXXXXX`); when it returns, the file is fsync'ed, closed and renamed over `url`, and the folder
    /// is fsync'ed. If anything throws, the temporary file is removed and an existing `url` is left untouched.
    /// The new file gets the mode of the file it replaces, or 0644.
    static func writeAtomically(to url: URL, _ body: (Int32) throws -> Void) throws {
        let path = url.path
        let folder = url.deletingLastPathComponent().path
        var template = Array("\(folder)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ImageIOError.unwritable(path: path, reason: describe(errno: errno)) }
        let tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var isOpen = true
        var renamed = false
        defer {
            if isOpen { close(fd) }
            if !renamed { unlink(tempPath) }
        }
        func fail(_ code: Int32) -> ImageIOError { .unwritable(path: path, reason: describe(errno: code)) }

        var existing = stat()
        let mode: mode_t = stat(path, &existing) == 0 ? existing.st_mode & 0o7777 : 0o644
        guard fchmod(fd, mode) == 0 else { throw fail(errno) }
        try body(fd)
        guard fsync(fd) == 0 else { throw fail(errno) }
        isOpen = false
        guard close(fd) == 0 else { throw fail(errno) }
        guard rename(tempPath, path) == 0 else { throw fail(errno) }
        renamed = true
        // So the rename itself survives a crash; best effort (some file systems refuse to sync a folder).
        let folderFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 {
            _ = fsync(folderFD)
            close(folderFD)
        }
    }
}
