import AtomicFiles
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

/// Writes through `body` into a temporary file in `url`'s folder, then renames it over `url` (`AtomicFile`), so a
/// reader never sees a half-written checkpoint and a failed write leaves the old file in place.
func atomicWrite(to url: URL, _ body: (URL) throws -> Void) throws {
    let file = displayName(url)
    do { try AtomicFile.writeThroughPath(to: url, body) } catch let error as CheckpointError {
        throw error
    } catch let failure as AtomicFile.Failure {
        throw CheckpointError.io(file: file, reason: "cannot replace the file (\(failure.reason))")
    } catch {
        throw CheckpointError.io(file: file, reason: "cannot write (\(error.localizedDescription))")
    }
}

/// `data` written atomically to `url`.
func atomicWrite(_ data: Data, to url: URL) throws {
    do { try AtomicFile.write(data, to: url) } catch let failure as AtomicFile.Failure {
        throw CheckpointError.io(file: displayName(url), reason: "cannot write (\(failure.reason))")
    }
}
