/// What the terminal sent, once parsed.
public enum InputToken: Sendable, Equatable {
    case key(Key)
    case mouse(MouseEvent)
    /// An answer to a query (device attributes, window sizes, XTSMGRAPHICS, DECRPM, XTVERSION, OSC…):
    /// never a key, even when it arrives late.
    case reply(TerminalReply)
    /// Focus reporting (mode 1004): `CSI I` in, `CSI O` out. Asked for only inside tmux, where a pane losing focus
    /// (another tmux window shown) must take its kitty images down.
    case focus(Bool)
}

/// Answers the studio asks the terminal for at start-up (see `CapabilityProbe`).
public enum TerminalReply: Sendable, Equatable {
    /// DA1, `CSI ? Ps ; … c`: the terminal class and its attributes (4 = sixel).
    case primaryAttributes([Int])
    /// `CSI 6 ; h ; w t`: one cell in pixels.
    case cellPixels(width: Int, height: Int)
    /// `CSI 4 ; h ; w t`: the text area in pixels.
    case textAreaPixels(width: Int, height: Int)
    /// `CSI 8 ; rows ; cols t`: the text area in cells.
    case textAreaCells(columns: Int, rows: Int)
    /// XTSMGRAPHICS, `CSI ? item ; status ; values S` (item 1: colour registers, 2: sixel geometry).
    case graphicsAttribute(item: Int, status: Int, values: [Int])
    /// DECRPM, `CSI ? mode ; state $ y` (state 0: unknown mode, 1/3: set, 2/4: reset).
    case modeReport(mode: Int, state: Int)
    /// XTVERSION, `DCS > | text ST`.
    case version(String)
    /// The kitty graphics protocol's answer, `APC G i=id[,…] ; message ST`: `OK` or an error such as `ENOENT:…`.
    case kittyGraphics(id: Int?, message: String)
    /// Anything else that is clearly a reply (other CSI finals with `?`/`>` prefixes, DCS, OSC, APC).
    case other(String)
}

/// Turns the bytes a terminal sends into keys, mouse reports and query replies.
///
/// Pure and incremental: `feed` may be given any split of the stream (a sequence cut between two reads is kept
/// until the rest arrives). A lone ESC is ambiguous (the Escape key, or the start of a sequence whose rest is
/// late), so it is held until `flush()`, which the caller invokes when no byte has arrived for a few milliseconds.
public struct InputParser: Sendable {
    /// Set while SGR-pixel mouse mode (1016) is on: mouse coordinates are pixels, and the cell is derived from
    /// `cellPixels`.
    public var pixelMouse = false
    public var cellPixels: (width: Int, height: Int) = (10, 20)

    private var pending: [UInt8] = []

    public init() {}

    public var hasPending: Bool { !pending.isEmpty }

    public mutating func feed(_ bytes: [UInt8]) -> [InputToken] {
        pending += bytes
        var tokens: [InputToken] = []
        var i = 0
        while i < pending.count {
            guard let (token, length) = parse(at: i) else { break }   // incomplete: wait for more
            if let token { tokens.append(token) }
            i += length
        }
        pending.removeFirst(i)
        return tokens
    }

    /// Called after a quiet moment: what is still pending was not the start of a sequence after all.
    public mutating func flush() -> [InputToken] {
        defer { pending.removeAll() }
        guard !pending.isEmpty else { return [] }
        if pending == [0x1B] { return [.key("escape")] }
        if pending.count == 2, pending[0] == 0x1B, let c = decodeCharacter(Array(pending[1...])) {
            return [.key(Key.character(c, alt: true))]
        }
        return []   // a truncated escape sequence: better dropped than typed as keys
    }

    // MARK: - Dispatch

    /// The token at `i` and its length in bytes; `nil` when more bytes are needed; a `nil` token for bytes that
    /// mean nothing to the studio.
    private func parse(at i: Int) -> (InputToken?, Int)? {
        let b = pending[i]
        if b == 0x1B { return parseEscape(at: i) }
        if b < 0x20 || b == 0x7F { return (.key(controlKey(b)), 1) }
        // UTF-8: the lead byte tells the length.
        let length = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 1
        guard i + length <= pending.count else { return nil }
        guard let c = decodeCharacter(Array(pending[i..<(i + length)])) else { return (nil, 1) }
        return (.key(Key.character(c)), length)
    }

    private func controlKey(_ b: UInt8) -> Key {
        switch b {
        case 0x00: return "ctrl+space"
        case 0x09: return "tab"
        case 0x0D: return "enter"
        case 0x7F, 0x08: return "backspace"
        case 0x1C: return "ctrl+\\"
        case 0x1D: return "ctrl+]"
        case 0x1E: return "ctrl+^"
        case 0x1F: return "ctrl+_"
        default: return Key("ctrl+" + String(UnicodeScalar(b + 0x60)))
        }
    }

    private func parseEscape(at i: Int) -> (InputToken?, Int)? {
        guard i + 1 < pending.count else { return nil }
        let next = pending[i + 1]
        switch next {
        case UInt8(ascii: "["): return parseCSI(at: i)
        case UInt8(ascii: "O"): return parseSS3(at: i)
        case UInt8(ascii: "P"), UInt8(ascii: "]"), UInt8(ascii: "_"), UInt8(ascii: "^"), UInt8(ascii: "X"):
            return parseString(at: i)
        case 0x1B: return (.key("escape"), 1)   // ESC ESC: the first is the Escape key
        default:
            // Alt+key: ESC then the key.
            if next < 0x20 || next == 0x7F {
                let k = controlKey(next).name
                return (.key(Key(k.hasPrefix("ctrl+") ? "ctrl+alt+" + k.dropFirst(5) : "alt+" + k)), 2)
            }
            let length = next < 0x80 ? 1 : next >> 5 == 0b110 ? 2 : next >> 4 == 0b1110 ? 3 : 4
            guard i + 1 + length <= pending.count else { return nil }
            guard let c = decodeCharacter(Array(pending[(i + 1)..<(i + 1 + length)])) else { return (nil, 2) }
            return (.key(Key.character(c, alt: true)), 1 + length)
        }
    }

    /// `ESC O x`: the application-mode cursor keys and F1–F4.
    private func parseSS3(at i: Int) -> (InputToken?, Int)? {
        guard i + 2 < pending.count else { return nil }
        let names: [UInt8: String] = [0x41: "up", 0x42: "down", 0x43: "right", 0x44: "left", 0x48: "home", 0x46: "end",
                                      0x50: "f1", 0x51: "f2", 0x52: "f3", 0x53: "f4", 0x4D: "enter"]
        guard let name = names[pending[i + 2]] else { return (nil, 3) }
        return (.key(Key(name)), 3)
    }

    /// DCS, OSC, APC, PM, SOS: everything up to ST (`ESC \`) or, for OSC, BEL.
    private func parseString(at i: Int) -> (InputToken?, Int)? {
        var j = i + 2
        while j < pending.count {
            if pending[j] == 0x07 && pending[i + 1] == UInt8(ascii: "]") {
                return (.reply(.other(String(decoding: pending[(i + 2)..<j], as: UTF8.self))), j + 1 - i)
            }
            if pending[j] == 0x1B {
                guard j + 1 < pending.count else { return nil }
                if pending[j + 1] == UInt8(ascii: "\\") {
                    let body = String(decoding: pending[(i + 2)..<j], as: UTF8.self)
                    let reply: TerminalReply
                    if pending[i + 1] == UInt8(ascii: "P") && body.hasPrefix(">|") {
                        reply = .version(String(body.dropFirst(2)))
                    } else if pending[i + 1] == UInt8(ascii: "_") && body.hasPrefix("G") {
                        reply = Self.kittyReply(body.dropFirst())
                    } else {
                        reply = .other(body)
                    }
                    return (.reply(reply), j + 2 - i)
                }
            }
            j += 1
        }
        return nil
    }

    /// `i=31,p=2;OK` → id 31, "OK" (the keys before `;`, the message after).
    private static func kittyReply(_ body: Substring) -> TerminalReply {
        let parts = body.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        let keys = parts[0].split(separator: ",")
        let id = keys.first(where: { $0.hasPrefix("i=") }).flatMap { Int($0.dropFirst(2)) }
        return .kittyGraphics(id: id, message: parts.count > 1 ? String(parts[1]) : "")
    }

    // MARK: - CSI

    private func parseCSI(at i: Int) -> (InputToken?, Int)? {
        // Legacy X10 mouse: ESC [ M b x y (three raw bytes).
        if i + 2 < pending.count, pending[i + 2] == UInt8(ascii: "M") {
            guard i + 5 < pending.count else { return nil }
            let b = Int(pending[i + 3]) - 32, x = Int(pending[i + 4]) - 33, y = Int(pending[i + 5]) - 33
            return (mouse(code: b, x: x, y: y, release: b & 3 == 3, pixels: false), 6)
        }
        // Parameters 0x30–0x3F, intermediates 0x20–0x2F, one final 0x40–0x7E.
        var j = i + 2
        while j < pending.count, (0x20...0x3F).contains(pending[j]) { j += 1 }
        guard j < pending.count else { return nil }
        let final = pending[j]
        guard (0x40...0x7E).contains(final) else { return (nil, j - i) }   // malformed: drop the prefix
        let body = String(decoding: pending[(i + 2)..<j], as: UTF8.self)
        return (csiToken(body: body, final: Character(UnicodeScalar(final))), j + 1 - i)
    }

    private func csiToken(body: String, final: Character) -> InputToken? {
        let prefix = body.first.flatMap { "<=>?".contains($0) ? $0 : nil }
        var params = prefix == nil ? body : String(body.dropFirst())
        var intermediate = ""
        while let last = params.last, (" "..."/").contains(last) { intermediate = String(last) + intermediate; params.removeLast() }
        let numbers = params.split(separator: ";", omittingEmptySubsequences: false).map { Int($0.split(separator: ":").first ?? "") }
        let n = numbers.map { $0 ?? 0 }

        switch (prefix, final, intermediate) {
        case ("<", "M", ""), ("<", "m", ""):
            guard n.count >= 3 else { return nil }
            return mouse(code: n[0], x: n[1] - 1, y: n[2] - 1, release: final == "m", pixels: pixelMouse)
        case ("?", "c", ""):
            return .reply(.primaryAttributes(n))
        case ("?", "S", ""):
            guard n.count >= 2 else { return .reply(.other(body + "S")) }
            return .reply(.graphicsAttribute(item: n[0], status: n[1], values: Array(n.dropFirst(2))))
        case ("?", "y", "$"), (nil, "y", "$"):
            guard n.count >= 2 else { return .reply(.other(body + "y")) }
            return .reply(.modeReport(mode: n[0], state: n[1]))
        case (nil, "t", ""):
            guard n.count >= 3 else { return .reply(.other(body + "t")) }
            switch n[0] {
            case 4: return .reply(.textAreaPixels(width: n[2], height: n[1]))
            case 6: return .reply(.cellPixels(width: n[2], height: n[1]))
            case 8: return .reply(.textAreaCells(columns: n[2], rows: n[1]))
            default: return .reply(.other(body + "t"))
            }
        case (.some, _, _):
            return .reply(.other(body + String(final)))
        case (nil, "I", ""), (nil, "O", ""):
            return body.isEmpty ? .focus(final == "I") : nil
        default:
            return keyToken(numbers: numbers, final: final, intermediate: intermediate)
        }
    }

    /// Cursor keys `CSI [1;m] A`, tilde keys `CSI n [;m] ~`, modifyOtherKeys `CSI 27;m;code ~`, and the
    /// kitty / fixterms form `CSI code [;m] u`.
    private func keyToken(numbers: [Int?], final: Character, intermediate: String) -> InputToken? {
        guard intermediate.isEmpty else { return nil }
        let modifierCode = numbers.count >= 2 ? (numbers[1] ?? 1) : 1
        let bits = max(0, modifierCode - 1)
        let shift = bits & 1 != 0, alt = bits & 2 != 0, ctrl = bits & 4 != 0
        switch final {
        case "A", "B", "C", "D", "H", "F", "P", "Q", "R", "S":
            let names: [Character: String] = ["A": "up", "B": "down", "C": "right", "D": "left", "H": "home", "F": "end",
                                              "P": "f1", "Q": "f2", "R": "f3", "S": "f4"]
            return .key(Key.named(names[final]!, ctrl: ctrl, alt: alt, shift: shift))
        case "Z":
            return .key("backtab")
        case "~":
            let code = numbers.first.flatMap { $0 } ?? 0
            if code == 27, numbers.count >= 3, let scalar = numbers[2].flatMap({ UnicodeScalar($0) }) {
                return characterKey(Character(scalar), ctrl: ctrl, alt: alt, shift: shift)
            }
            let names: [Int: String] = [1: "home", 2: "insert", 3: "delete", 4: "end", 5: "pgup", 6: "pgdown",
                                        7: "home", 8: "end", 11: "f1", 12: "f2", 13: "f3", 14: "f4", 15: "f5",
                                        17: "f6", 18: "f7", 19: "f8", 20: "f9", 21: "f10", 23: "f11", 24: "f12"]
            guard let name = names[code] else { return nil }
            return .key(Key.named(name, ctrl: ctrl, alt: alt, shift: shift))
        case "u":
            guard let code = numbers.first.flatMap({ $0 }), let scalar = UnicodeScalar(code) else { return nil }
            return characterKey(Character(scalar), ctrl: ctrl, alt: alt, shift: shift)
        default:
            return nil
        }
    }

    private func characterKey(_ c: Character, ctrl: Bool, alt: Bool, shift: Bool) -> InputToken {
        switch c {
        case "\u{1B}": return .key(Key.named("escape", ctrl: ctrl, alt: alt, shift: shift))
        case "\r": return .key(Key.named("enter", ctrl: ctrl, alt: alt, shift: shift))
        case "\t": return .key(shift && !ctrl && !alt ? "backtab" : Key.named("tab", ctrl: ctrl, alt: alt, shift: shift))
        case "\u{7F}": return .key(Key.named("backspace", ctrl: ctrl, alt: alt, shift: shift))
        default:
            // With Shift and a letter the terminal may send either case; Ctrl+Shift+z must read the same.
            let shown: Character = shift && !ctrl ? Character(c.uppercased()) : c
            return .key(Key.character(shown, ctrl: ctrl, alt: alt, shift: shift && ctrl))
        }
    }

    // MARK: - Mouse

    /// An SGR (or X10) button code: low bits the button, +4 Shift, +8 Alt, +16 Ctrl, +32 motion, +64 wheel.
    private func mouse(code: Int, x: Int, y: Int, release: Bool, pixels: Bool) -> InputToken? {
        let motion = code & 32 != 0
        let wheel = code & 64 != 0
        let low = code & 3
        let button: MouseEvent.Button = wheel ? .none : [MouseEvent.Button.left, .middle, .right, .none][low]
        let kind: MouseEvent.Kind
        if wheel {
            guard low <= 1 else { return nil }   // horizontal wheel: unused
            kind = low == 0 ? .wheelUp : .wheelDown
        } else if release {
            kind = .release
        } else if motion {
            kind = button == .none ? .move : .drag
        } else {
            kind = .press
        }
        var event = MouseEvent(kind: kind, button: button, column: x, row: y,
                               shift: code & 4 != 0, alt: code & 8 != 0, ctrl: code & 16 != 0)
        if pixels {
            let px = max(0, x), py = max(0, y)   // pixel reports are 1-based too (xterm ctlseqs)
            event.pixel = (px, py)
            event.column = px / max(1, cellPixels.width)
            event.row = py / max(1, cellPixels.height)
        }
        return .mouse(event)
    }

    private func decodeCharacter(_ bytes: [UInt8]) -> Character? {
        var decoded = String(decoding: bytes, as: UTF8.self)
        guard decoded.unicodeScalars.count == 1, decoded.unicodeScalars.first != "\u{FFFD}" else { return nil }
        return decoded.removeFirst()
    }
}
