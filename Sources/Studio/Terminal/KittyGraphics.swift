import Foundation

/// The kitty graphics protocol (kitty, Ghostty, WezTerm, Konsole): `ESC _ G keys ; base64 ESC \`.
///
/// The studio sends each picture as a PNG (`f=100`, already deflated: no `o=z` on top), in base64 chunks of at
/// most 4096 bytes (`m=1` on all but the last), and places it at once (`a=T`) over the picture's cell rectangle
/// (`c=`, `r=`: the terminal scales it to fit) under a fixed image and placement id per slot. Sending the next
/// frame under the same ids replaces the old one in place: no blank state between the two, nothing to clear.
/// `q=2` keeps the terminal from answering (its `OK` would arrive as keys), `C=1` from moving the cursor.
/// Unlike sixel, a placed image floats above the text: ncurses writing over its cells does not remove it, so the
/// presenter deletes it (`a=d,d=I`) when a popup covers it, on resize and on quit.
enum KittyGraphics {
    /// The start-up query's id (the answer names it) and the passthrough query's, to tell the answers apart.
    static let queryID = 31
    static let passthroughQueryID = 32
    /// The shared-memory transmission query's id (see `KittySharedMemory`).
    static let sharedMemoryQueryID = 33
    /// Image ids per picture slot: fixed, so that each frame replaces the last (and quit knows what to delete).
    static let canvasImageID = 4_242_001
    static let stripImageID = 4_242_002
    static let placementID = 1
    /// The protocol's largest payload per escape code.
    static let chunkBytes = 4096

    /// A 1x1 RGB image sent with `a=q` (query: checked, never stored or shown), `t=d` direct data.
    static func query(id: Int) -> String {
        "\u{1B}_Gi=\(id),s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\"
    }

    /// Transmit and place `png` over `columns` x `rows` cells at the cursor, as image `id`. One escape code per
    /// chunk (tmux's passthrough wants them wrapped one by one).
    static func place(png: [UInt8], id: Int, columns: Int, rows: Int) -> [[UInt8]] {
        let payload = Array(Data(png).base64EncodedData())
        let keys = "a=T,f=100,t=d,i=\(id),p=\(placementID),c=\(columns),r=\(rows),C=1,q=2"
        var codes: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(payload.count, start + chunkBytes)
            let more = end < payload.count ? 1 : 0
            let control = start == 0 ? "\(keys),m=\(more)" : "m=\(more),q=2"
            codes.append(Array("\u{1B}_G\(control);".utf8) + payload[start..<end] + [0x1B, 0x5C])
            start = end
        } while start < payload.count
        return codes
    }

    /// Deletes image `id`'s placements and frees its data (`d=I`, upper case: the data goes too).
    static func delete(id: Int) -> [UInt8] {
        Array("\u{1B}_Ga=d,d=I,i=\(id),q=2\u{1B}\\".utf8)
    }

    /// Both slots' images, for the restore paths (quit, signals, a crash).
    static var deleteAll: [UInt8] { delete(id: canvasImageID) + delete(id: stripImageID) }
}
