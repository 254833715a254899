import Foundation

/// kitty's shared-memory transmission (`t=s`): the pixels go into a POSIX shared-memory object and only its name
/// crosses the tty; the terminal reads the object and unlinks it. No compression and no base64: at the canvas's
/// full size a frame costs a memory copy instead of a ~20 ms PNG encode and ~700 KB on the wire. Only for a
/// terminal on this machine, which the start-up query (`a=q,t=s`) proves; over ssh the query fails and frames are
/// sent directly.
enum KittySharedMemory {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter = 0

    /// A fresh object holding `bytes`; its name, or nil when it could not be made.
    static func store(_ bytes: [UInt8]) -> String? {
        lock.lock()
        counter += 1
        let name = "/monopix-\(getpid())-\(counter)"
        lock.unlock()
        let fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { raw -> Bool in
            guard ftruncate(fd, off_t(raw.count)) == 0 else { return false }
            var offset = 0
            while offset < raw.count {
                let n = pwrite(fd, raw.baseAddress! + offset, raw.count - offset, off_t(offset))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
        guard written else { shm_unlink(name); return nil }
        return name
    }

    /// Removes an object the terminal did not take (after the start-up query; harmless when it did).
    static func remove(_ name: String) { shm_unlink(name) }

    /// The query: a 1x1 RGB pixel in the object `name`, answered `OK` (with id `KittyGraphics.sharedMemoryQueryID`)
    /// when the terminal could read it.
    static func query(name: String) -> String {
        "\u{1B}_Gi=\(KittyGraphics.sharedMemoryQueryID),s=1,v=1,a=q,t=s,f=24;\(Data(name.utf8).base64EncodedString())\u{1B}\\"
    }

    /// Places `image` (RGB, `f=24`) from the object `name` over `columns` x `rows` cells as image `id`.
    static func place(name: String, width: Int, height: Int, id: Int, columns: Int, rows: Int) -> [UInt8] {
        let keys = "a=T,f=24,t=s,s=\(width),v=\(height),S=\(width * height * 3),i=\(id),p=\(KittyGraphics.placementID),"
            + "c=\(columns),r=\(rows),C=1,q=2"
        return Array("\u{1B}_G\(keys);\(Data(name.utf8).base64EncodedString())\u{1B}\\".utf8)
    }
}
