import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal; notes always go through.
struct ProgressBar {
    let total: Int
    var done = 0
    var label = ""
    let live = isatty(STDERR_FILENO) != 0

    init(total: Int) { self.total = total }

    mutating func update(label: String) { self.label = label; draw() }
    mutating func advance() { done += 1; draw() }

    func note(_ text: String) {
        if live { FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!) }
        FileHandle.standardError.write((text + "\n").data(using: .utf8)!)
        draw()
    }

    func finish() { if live { FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!) } }

    private func draw() {
        guard live, total > 0 else { return }
        let width = 30, filled = width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write("\r\u{1B}[K\(bar) \(done)/\(total) \(label)".data(using: .utf8)!)
    }
}
