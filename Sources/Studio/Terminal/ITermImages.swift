import Foundation

/// iTerm2's inline images (iTerm2, WezTerm, VS Code's terminal, mintty):
/// `ESC ] 1337 ; File = inline=1;width=C;height=R;preserveAspectRatio=0;size=N : base64 BEL`.
///
/// Written at the cursor, which the caller has moved to the picture's top-left cell. Width and height are plain
/// numbers, so cells: the terminal scales the PNG to exactly the picture's rectangle (the layout already kept the
/// aspect). `doNotMoveCursor=1` (iTerm2 ≥ 3.5, WezTerm) keeps the cursor put where it is known; elsewhere the
/// cursor save/restore around every picture does the same. The image lives in the cells like text, so ncurses
/// writing over them removes it (as with sixel): nothing to delete.
enum ITermImages {
    static func inline(png: [UInt8], columns: Int, rows: Int) -> [UInt8] {
        let header = "\u{1B}]1337;File=inline=1;width=\(columns);height=\(rows);preserveAspectRatio=0;"
            + "doNotMoveCursor=1;size=\(png.count):"
        return Array(header.utf8) + Array(Data(png).base64EncodedData()) + [0x07]
    }
}
