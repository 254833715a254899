import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole file, memory-mapped where the system allows; failures become `CheckpointError.io`.
func readFile(_ url: URL, file: String) throws -> Data {
    do {
        return try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
        throw CheckpointError.io(file: file, reason: "cannot read (\(error.localizedDescription))")
    }
}

/// Writes through `body` into a temporary file in `url`'s folder, then renames it over `url`, so a reader never
/// sees a half-written checkpoint and a failed write leaves the old file in place.
func atomicWrite(to url: URL, _ body: (URL) throws -> Void) throws {
    let file = displayName(url)
    let folder = url.deletingLastPathComponent()
    let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
    do {
        try body(temp)
    } catch {
        try? FileManager.default.removeItem(at: temp)
        if let error = error as? CheckpointError { throw error }
        throw CheckpointError.io(file: file, reason: "cannot write (\(error.localizedDescription))")
    }
    guard rename(temp.path, url.path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temp)
        throw CheckpointError.io(file: file, reason: "cannot replace the file (\(reason))")
    }
}

/// `data` written atomically to `url`.
func atomicWrite(_ data: Data, to url: URL) throws {
    try atomicWrite(to: url) { temp in try data.write(to: temp) }
}
