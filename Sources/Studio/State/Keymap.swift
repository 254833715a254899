/// Everything a key can do on the canvas. One exhaustive switch in `update` handles each.
enum Action: Equatable, Sendable {
    case quit, help, redraw, nextImage, previousImage
    case togglePanel, focusPanel
    case nextView, previousView, showView(ViewMode), quickMask, opacity(Float)
    case zoom(Float), zoomFit
    case level(steps: Float, coarse: Bool), levelToMin, levelToMax
    case tool(Tool)
    case brushSize(Float), hardness(Float)
    case value(digit: Int), nudgeValue(Float), swapValues, defaults
    case invert, clear, undo, redo
    case moveCursor(dx: Int, dy: Int)
    case applyAtCursor, penToggle, hideCursor
    case saveMask, loadMask, export
}

/// A line of the keymap: the keys, what they do, and the help text (`?` shows this table).
struct Binding: Sendable {
    var group: String
    var keys: [Key]
    var label: String
    var help: String
    var action: Action
}

/// The studio's keys: GIMP, Photoshop and Krita habits where there are some.
enum Keymap {
    static let bindings: [Binding] = [
        Binding(group: "General", keys: ["q", "ctrl+c"], label: "q", help: "quit (the session is saved)", action: .quit),
        Binding(group: "General", keys: ["?", "f1"], label: "?", help: "this help", action: .help),
        Binding(group: "General", keys: ["ctrl+l"], label: "Ctrl+L", help: "redraw the screen", action: .redraw),
        Binding(group: "General", keys: ["n", "pgdown"], label: "n PgDn", help: "next image", action: .nextImage),
        Binding(group: "General", keys: ["p", "pgup"], label: "p PgUp", help: "previous image", action: .previousImage),

        Binding(group: "View", keys: ["v"], label: "v V", help: "next / previous view", action: .nextView),
        Binding(group: "View", keys: ["V"], label: "", help: "", action: .previousView),
        Binding(group: "View", keys: ["o"], label: "o", help: "output", action: .showView(.output)),
        Binding(group: "View", keys: ["i"], label: "i", help: "input", action: .showView(.input)),
        Binding(group: "View", keys: ["m"], label: "m", help: "mask overlay", action: .showView(.overlay)),
        Binding(group: "View", keys: ["|"], label: "|", help: "side by side (input | output)", action: .showView(.sideBySide)),
        Binding(group: "View", keys: ["w"], label: "w", help: "wipe between input and output (drag the divider)", action: .showView(.wipe)),
        Binding(group: "View", keys: ["Q"], label: "Q", help: "quick mask: overlay on / off", action: .quickMask),
        Binding(group: "View", keys: ["("], label: "( )", help: "overlay opacity − / +", action: .opacity(-0.1)),
        Binding(group: "View", keys: [")"], label: "", help: "", action: .opacity(0.1)),
        Binding(group: "View", keys: ["+", "="], label: "+ -", help: "zoom in / out (wheel: at the pointer)", action: .zoom(1.25)),
        Binding(group: "View", keys: ["-", "_"], label: "", help: "", action: .zoom(0.8)),
        Binding(group: "View", keys: ["z"], label: "z", help: "fit the image (middle- or Alt-drag pans)", action: .zoomFit),

        Binding(group: "Level", keys: [","], label: ", .", help: "global level − / + (1% of the range)", action: .level(steps: -1, coarse: false)),
        Binding(group: "Level", keys: ["."], label: "", help: "", action: .level(steps: 1, coarse: false)),
        Binding(group: "Level", keys: ["<"], label: "< >", help: "global level − / + (10%)", action: .level(steps: -1, coarse: true)),
        Binding(group: "Level", keys: [">"], label: "", help: "", action: .level(steps: 1, coarse: true)),
        Binding(group: "Level", keys: ["home"], label: "Home End", help: "level to the range's ends (or drag the slider)", action: .levelToMin),
        Binding(group: "Level", keys: ["end"], label: "", help: "", action: .levelToMax),

        Binding(group: "Tools", keys: ["b"], label: "b", help: "brush", action: .tool(.brush)),
        Binding(group: "Tools", keys: ["e", "E"], label: "e", help: "eraser (back to the global level)", action: .tool(.eraser)),
        Binding(group: "Tools", keys: ["f"], label: "f", help: "flood fill", action: .tool(.fill)),
        Binding(group: "Tools", keys: ["g"], label: "g", help: "linear gradient (two clicks, or drag)", action: .tool(.gradient)),
        Binding(group: "Tools", keys: ["s"], label: "s", help: "strips (two clicks; [ ] sets how many)", action: .tool(.strips)),
        Binding(group: "Tools", keys: ["["], label: "[ ]", help: "brush size − / +", action: .brushSize(1 / 1.2)),
        Binding(group: "Tools", keys: ["]"], label: "", help: "", action: .brushSize(1.2)),
        Binding(group: "Tools", keys: ["{"], label: "{ }", help: "hardness − / +", action: .hardness(-0.1)),
        Binding(group: "Tools", keys: ["}"], label: "", help: "", action: .hardness(0.1)),
        Binding(group: "Tools", keys: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"].map { Key($0) },
                label: "0-9", help: "value: range min + digit × 10%", action: .value(digit: -1)),
        Binding(group: "Tools", keys: [";"], label: "; '", help: "value − / + 1% (: \" 10%)", action: .nudgeValue(-0.01)),
        Binding(group: "Tools", keys: ["'"], label: "", help: "", action: .nudgeValue(0.01)),
        Binding(group: "Tools", keys: [":"], label: "", help: "", action: .nudgeValue(-0.1)),
        Binding(group: "Tools", keys: ["\""], label: "", help: "", action: .nudgeValue(0.1)),
        Binding(group: "Tools", keys: ["x", "X"], label: "x", help: "swap the two values (right button paints the second)", action: .swapValues),
        Binding(group: "Tools", keys: ["d", "D"], label: "d", help: "default brush and values", action: .defaults),

        Binding(group: "Mask", keys: ["ctrl+i", "tab"], label: "Ctrl+I", help: "invert (Tab in most terminals)", action: .invert),
        Binding(group: "Mask", keys: ["c", "delete"], label: "c Del", help: "clear (everything follows the level)", action: .clear),
        Binding(group: "Mask", keys: ["ctrl+z", "u"], label: "Ctrl+Z u", help: "undo", action: .undo),
        Binding(group: "Mask", keys: ["ctrl+y", "ctrl+shift+z", "U"], label: "Ctrl+Y U", help: "redo (Ctrl+Shift+Z too)", action: .redo),
        Binding(group: "Mask", keys: ["ctrl+s"], label: "Ctrl+S", help: "save the mask (.png 16-bit or .npy)", action: .saveMask),
        Binding(group: "Mask", keys: ["ctrl+o"], label: "Ctrl+O", help: "load a mask", action: .loadMask),
        Binding(group: "Mask", keys: ["ctrl+e"], label: "Ctrl+E", help: "export (current image or folder); again: cancel", action: .export),

        Binding(group: "Keyboard painting", keys: ["up", "k"], label: "arrows hjkl", help: "move the cursor on the canvas (Shift, HJKL: 8×)", action: .moveCursor(dx: 0, dy: -1)),
        Binding(group: "Keyboard painting", keys: ["down", "j"], label: "", help: "", action: .moveCursor(dx: 0, dy: 1)),
        Binding(group: "Keyboard painting", keys: ["left", "h"], label: "", help: "", action: .moveCursor(dx: -1, dy: 0)),
        Binding(group: "Keyboard painting", keys: ["right", "l"], label: "", help: "", action: .moveCursor(dx: 1, dy: 0)),
        Binding(group: "Keyboard painting", keys: ["shift+up", "K"], label: "", help: "", action: .moveCursor(dx: 0, dy: -8)),
        Binding(group: "Keyboard painting", keys: ["shift+down", "J"], label: "", help: "", action: .moveCursor(dx: 0, dy: 8)),
        Binding(group: "Keyboard painting", keys: ["shift+left", "H"], label: "", help: "", action: .moveCursor(dx: -8, dy: 0)),
        Binding(group: "Keyboard painting", keys: ["shift+right", "L"], label: "", help: "", action: .moveCursor(dx: 8, dy: 0)),
        Binding(group: "Keyboard painting", keys: ["space"], label: "space", help: "apply the tool at the cursor (a dab, a fill, a gradient point)", action: .applyAtCursor),
        Binding(group: "Keyboard painting", keys: ["enter"], label: "Enter", help: "pen down / up: moving the cursor paints", action: .penToggle),
        Binding(group: "Keyboard painting", keys: ["escape"], label: "Esc", help: "hide the cursor, drop a pending gradient point", action: .hideCursor),

        Binding(group: "Training panel", keys: ["t"], label: "t", help: "show / hide the training panel", action: .togglePanel),
        Binding(group: "Training panel", keys: ["T"], label: "T", help: "panel keys: 1-9 series, s smoothing, l log-y, r outliers, x x-axis, a all, Enter start / stop training, R resume, Esc back", action: .focusPanel),
    ]

    static let table: [Key: Action] = {
        var t: [Key: Action] = [:]
        for b in bindings {
            for k in b.keys {
                precondition(t[k] == nil, "key \(k) bound twice")
                if case .value = b.action, let d = Int(k.name) { t[k] = .value(digit: d) } else { t[k] = b.action }
            }
        }
        return t
    }()

    /// Help lines grouped as in the table: "  label  help".
    static var helpLines: [(group: String, label: String, help: String)] {
        bindings.filter { !$0.help.isEmpty }.map { ($0.group, $0.label, $0.help) }
    }
}
