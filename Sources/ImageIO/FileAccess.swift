import AtomicFiles
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

    /// Writes `url` atomically (`AtomicFile`): `body` gets the descriptor of a new temporary file in the same
    /// folder; an existing `url` is left untouched if anything throws. The new file gets the mode of the file it
    /// replaces, or 0644.
    static func writeAtomically(to url: URL, _ body: (Int32) throws -> Void) throws {
        do { try AtomicFile.write(to: url, body) } catch let failure as AtomicFile.Failure {
            throw ImageIOError.unwritable(path: url.path, reason: failure.reason)
        }
    }
}
