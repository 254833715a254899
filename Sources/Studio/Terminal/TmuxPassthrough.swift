/// tmux's passthrough: `ESC P tmux ; payload ESC \` with every ESC of the payload doubled, which tmux (with
/// `allow-passthrough on`) writes unchanged to the terminal outside it.
///
/// tmux writes passthrough bytes at once but moves the outer cursor lazily, so a payload that must land at a cell
/// carries its own cursor move (`at`), offset by the pane's position in the outer terminal, inside the wrapper,
/// saved and restored around it. tmux discards a passthrough longer than its input buffer (about 1 MB), so kitty
/// chunks are wrapped one by one.
enum TmuxPassthrough {
    /// tmux's input buffer (`INPUT_BUF_LIMIT` in its input.c, 1 MiB through 3.4): a longer passthrough is dropped.
    static let limit = 1_048_576

    static func wrap(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = Array("\u{1B}Ptmux;".utf8)
        out.reserveCapacity(payload.count + payload.count / 64 + 10)
        for b in payload {
            if b == 0x1B { out.append(0x1B) }
            out.append(b)
        }
        return out + [0x1B, 0x5C]
    }

    static func wrap(_ payload: String) -> String {
        String(decoding: wrap(Array(payload.utf8)), as: UTF8.self)
    }

    /// `payload` at the pane's cell (`column`, `row`): the move and the payload in one wrapper, the cursor put back.
    static func wrap(_ payload: [UInt8], column: Int, row: Int, pane: TmuxPane) -> [UInt8] {
        let move = TerminalSequence.saveCursor + TerminalSequence.moveTo(column: pane.left + column, row: pane.top + row)
        return wrap(Array(move.utf8) + payload + Array(TerminalSequence.restoreCursor.utf8))
    }
}
