import Foundation

/// The process's peak resident memory (Linux `VmHWM`), resettable so that each benchmark case is measured on its
/// own: writing 5 to `/proc/self/clear_refs` sets the high-water mark back to the current resident size.
public enum PeakMemory {
    /// Starts a new measurement; false where the kernel does not allow it (then the peak is the process's so far).
    @discardableResult
    public static func reset() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    /// Peak resident bytes since the last reset, nil where /proc does not say.
    public static var peakBytes: Int? { field("VmHWM") }
    /// Resident bytes now.
    public static var residentBytes: Int? { field("VmRSS") }

    private static func field(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return nil
    }
}
