import Foundation

// Compiled into every harness (scripts/fuzz.sh). A reader may throw its own error type for any input; anything
// else (a trap, another error type, a result that breaks its own invariants) is a finding.

/// The input as a file, for readers that take a URL (libpng, libjpeg and ZIPFoundation read from disk). One
/// folder per process, so parallel fuzzers never share a file.
func fuzzFile(_ data: UnsafePointer<UInt8>, _ size: Int, name: String) -> URL {
    let folder = URL(fileURLWithPath: NSTemporaryDirectory())
        .appendingPathComponent("monopix-fuzz-\(getpid())", isDirectory: true)
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes: data, count: size)) else {
        fatalError("fuzz harness: cannot write \(url.path)")
    }
    return url
}

/// Runs `body`; an error of type `E` is the reader refusing the input, any other error a finding.
func expecting<E: Error>(_: E.Type, _ body: () throws -> Void) {
    do { try body() } catch is E {} catch {
        fatalError("expected \(E.self), got \(type(of: error)): \(error)")
    }
}

func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}
