import Foundation

extension TmuxContext {
    /// Asks the tmux server this process runs under (`TMUX`) about passthrough, the outer terminal and the pane's
    /// place; nil outside tmux or when tmux does not answer within `timeout` seconds.
    static func query(environment: [String: String], timeout: Double = 1) -> TmuxContext? {
        guard environment["TMUX"] != nil else { return nil }
        let format = "#{client_termname}\t#{client_termtype}\t#{pane_left}\t#{pane_top}\t#{status}\t#{status-position}"
        guard let display = run(["display-message", "-p", format], timeout: timeout) else { return nil }
        // A pane-level setting wins over the global one (`show -pv` prints nothing when the pane has none).
        let pane = run(["show-options", "-pv", "allow-passthrough"], timeout: timeout) ?? ""
        let global = run(["show-options", "-gv", "allow-passthrough"], timeout: timeout)
        return parse(display: display, passthrough: pane.isEmpty ? global : pane)
    }

    /// The answers of `tmux display -p` (the format above) and `tmux show -v allow-passthrough`.
    static func parse(display: String, passthrough: String?) -> TmuxContext {
        let f = display.trimmingCharacters(in: .newlines).split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        func field(_ i: Int) -> String? { i < f.count && !f[i].isEmpty ? f[i] : nil }
        var context = TmuxContext(clientTermName: field(0), clientTermType: field(1))
        let statusLines = field(4).map { $0 == "on" ? 1 : Int($0) ?? 0 } ?? 0
        let statusAbove = field(5) == "top" ? statusLines : 0
        context.pane = TmuxPane(left: field(2).flatMap { Int($0) } ?? 0, top: (field(3).flatMap { Int($0) } ?? 0) + statusAbove)
        switch passthrough?.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "on", "all": context.passthrough = true
        case "off": context.passthrough = false
        default: context.passthrough = nil
        }
        return context
    }

    private static func run(_ arguments: [String], timeout: Double) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do { try process.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        guard done.wait(timeout: .now() + timeout) == .success else {
            process.terminate()
            return nil
        }
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
