/// A key press, normalised to one name so that keymaps are tables of strings (as bubbletea does):
///
/// - printable characters are themselves: `"a"`, `"A"`, `"?"`, `"["`, `"é"`; the space bar is `"space"`;
/// - named keys: `up down left right home end pgup pgdown insert delete f1…f12 enter tab backtab escape backspace`;
/// - modifiers are prefixed in the order `ctrl+`, `alt+`, `shift+`: `"ctrl+z"`, `"ctrl+shift+z"`, `"shift+left"`,
///   `"alt+x"`. Shift is not spelled out for printable characters (`"Q"`, not `"shift+q"`), except together with
///   Ctrl, where terminals that can tell report it (`"ctrl+shift+z"`).
public struct Key: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let name: String

    public init(_ name: String) { self.name = name }
    public init(stringLiteral value: String) { self.name = value }

    public var description: String { name }

    /// The name of a character typed with the given modifiers.
    static func character(_ c: Character, ctrl: Bool = false, alt: Bool = false, shift: Bool = false) -> Key {
        var base = c == " " ? "space" : String(c)
        var shifted = shift
        if ctrl {
            // Ctrl+letter names the lowercase letter; an uppercase one means Shift was held.
            if c.isUppercase { shifted = true }
            base = base.lowercased()
        } else if c != " " {
            shifted = false   // the character already says it
        }
        return named(base, ctrl: ctrl, alt: alt, shift: shifted)
    }

    static func named(_ base: String, ctrl: Bool = false, alt: Bool = false, shift: Bool = false) -> Key {
        Key((ctrl ? "ctrl+" : "") + (alt ? "alt+" : "") + (shift ? "shift+" : "") + base)
    }
}

/// A mouse report, in the terminal's cells (0-based) and, when the terminal reports pixels (SGR-pixel mode
/// 1016), in pixels from the top-left of the text area.
public struct MouseEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case press, drag, release, move, wheelUp, wheelDown
    }

    public enum Button: Sendable, Equatable {
        case left, middle, right, none
    }

    public var kind: Kind
    public var button: Button
    public var column: Int
    public var row: Int
    public var pixel: (x: Int, y: Int)?
    public var shift = false
    public var alt = false
    public var ctrl = false

    public init(kind: Kind, button: Button, column: Int, row: Int, pixel: (x: Int, y: Int)? = nil,
                shift: Bool = false, alt: Bool = false, ctrl: Bool = false) {
        self.kind = kind
        self.button = button
        self.column = column
        self.row = row
        self.pixel = pixel
        self.shift = shift
        self.alt = alt
        self.ctrl = ctrl
    }

    public static func == (a: MouseEvent, b: MouseEvent) -> Bool {
        a.kind == b.kind && a.button == b.button && a.column == b.column && a.row == b.row
            && a.pixel?.x == b.pixel?.x && a.pixel?.y == b.pixel?.y
            && a.shift == b.shift && a.alt == b.alt && a.ctrl == b.ctrl
    }
}
