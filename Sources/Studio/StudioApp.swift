import Foundation

/// How `monopix studio` was asked to run.
public struct StudioOptions: Sendable {
    /// Images or folders (a single file opens its folder at that file).
    public var paths: [URL]
    /// The slider's range: [0, 1] for most tasks, [-1, 2] for low light.
    public var range: ClosedRange<Float>
    /// The level images start at (default: 1 clamped to the range).
    public var initialLevel: Float?
    public var graphics: GraphicsPreference
    /// Training logs to follow in the panel (`metrics.jsonl`, the reference's console log, `loss_log.txt`).
    public var watch: [URL]
    /// Where the session is kept (default: `.monopix-session/` beside the images, or XDG state).
    public var sessionDirectory: URL?
    /// Off: nothing is restored or saved.
    public var useSession: Bool
    /// How the panel starts `monopix train` (`--train-config`, `--train-data`); nil: not offered.
    public var training: TrainingSetup?

    public init(paths: [URL], range: ClosedRange<Float> = 0...1, initialLevel: Float? = nil,
                graphics: GraphicsPreference = .auto, watch: [URL] = [], sessionDirectory: URL? = nil,
                useSession: Bool = true, training: TrainingSetup? = nil) {
        self.training = training
        self.paths = paths
        self.range = range
        self.initialLevel = initialLevel
        self.graphics = graphics
        self.watch = watch
        self.sessionDirectory = sessionDirectory
        self.useSession = useSession
    }
}

/// What the studio calls out to: the engine's renderer and exporter. Either may be missing; the studio then says
/// so in the status line and keeps working as a mask painter.
public struct StudioServices: Sendable {
    public var renderer: FrameRenderer?
    /// Why there is no renderer (e.g. "engine not wired yet"), for the status line.
    public var rendererUnavailable: String?
    public var exporter: ExportRunner?

    public init(renderer: FrameRenderer? = nil, rendererUnavailable: String? = nil, exporter: ExportRunner? = nil) {
        self.renderer = renderer
        self.rendererUnavailable = rendererUnavailable
        self.exporter = exporter
    }
}

/// The studio's entry points for the CLI.
public enum StudioApp {
    /// The monopix binary running now, for starting `monopix train` from the panel.
    public static var currentExecutable: String { TrainingChild.currentExecutable() }

    /// Runs the studio until the user quits. Throws `StudioError.notATerminal` when stdin/stdout are not a tty
    /// (the CLI turns that into exit status 2), and file errors for the paths.
    public static func run(_ options: StudioOptions, services: StudioServices) throws {
        guard NCursesScreen.isInteractive else { throw StudioError.notATerminal }
        let runtime = try StudioRuntime(options: options, services: services, screen: NCursesScreen())
        try runtime.run()
    }

    /// Probes the terminal as the studio does at start-up and describes what it found (`--detect`).
    public static func detect(preference: GraphicsPreference) throws -> String {
        guard NCursesScreen.hasTerminal else { throw StudioError.notATerminal }
        let screen = NCursesScreen()
        try screen.start()
        var parser = InputParser()
        let env = ProcessInfo.processInfo.environment
        let tmux = TmuxContext.query(environment: env)
        var caps = StudioRuntime.probe(screen, parser: &parser, environment: env, waitForOuter: tmux?.passthrough == true).capabilities
        // Answers that come after the fence (through tmux's passthrough, from the outer terminal) still count.
        let late = screen.readInput(timeoutMilliseconds: tmux == nil ? 0 : 100)
        for case .reply(let r) in parser.feed(late.bytes) { caps.apply(r) }
        screen.stop()
        return report(caps, screen: screen, preference: preference, environment: env, tmux: tmux)
    }

    static func report(_ caps: TerminalCapabilities, screen: TerminalScreen, preference: GraphicsPreference,
                       environment env: [String: String], tmux: TmuxContext?) -> String {
        let choice = chooseGraphics(preference: preference, capabilities: caps, environment: env, tmux: tmux)
        let cell = caps.cellPixels(columns: screen.size.columns, rows: screen.size.rows)
        func yesNo(_ b: Bool?) -> String { b.map { $0 ? "yes" : "no" } ?? "no answer" }
        let lines: [(String, String)] = [
            ("TERM", env["TERM"] ?? "-"), ("COLORTERM", env["COLORTERM"] ?? "-"), ("TERM_PROGRAM", env["TERM_PROGRAM"] ?? "-"),
            (GraphicsPreference.environmentKey, env[GraphicsPreference.environmentKey] ?? "-"),
            ("TMUX", env["TMUX"] == nil ? "no" : "yes"),
            ("tmux allow-passthrough", tmux.map { $0.passthrough.map { $0 ? "on" : "off" } ?? "unknown" } ?? "-"),
            ("tmux outer terminal", tmux.map { "\($0.clientTermName ?? "?") / \($0.clientTermType ?? "?"), pane at \($0.pane.left),\($0.pane.top)" } ?? "-"),
            ("GNU screen", env["STY"] == nil ? "no" : "yes"),
            ("XTVERSION", caps.version ?? "no answer"),
            ("DA1", caps.primaryAttributes.map { "?" + $0.map(String.init).joined(separator: ";") + "c" } ?? "no answer (timeout \(Int(CapabilityProbe.timeoutSeconds * 1000)) ms)"),
            ("sixel (DA1 has 4)", caps.hasSixel ? "yes" : "no"),
            ("kitty graphics query", caps.kittyGraphics.map { $0 ? "OK" : "refused" } ?? "no answer"),
            ("kitty shared memory (t=s)", caps.kittySharedMemory.map { $0 ? "OK" : "refused" } ?? "no answer"),
            ("kitty query through tmux", caps.kittyThroughTmux.map { $0 ? "OK" : "refused" } ?? (tmux == nil ? "-" : "no answer")),
            ("outer XTVERSION / DA1", tmux == nil ? "-" : "\(caps.outer.version ?? "no answer") / "
                + (caps.outer.primaryAttributes.map { "?" + $0.map(String.init).joined(separator: ";") + "c" } ?? "no answer")),
            ("colour registers", caps.colourRegisters.map(String.init) ?? "no answer (256 assumed)"),
            ("sixel geometry", caps.sixelGeometry?.description ?? "no answer (1000x1000 assumed)"),
            ("size in cells", screen.size.description),
            ("TIOCGWINSZ pixels", caps.ioctlPixels?.description ?? "none"),
            ("CSI 16 t cell", caps.reportedCellPixels?.description ?? "no answer"),
            ("CSI 14 t / 18 t", "\(caps.textAreaPixels?.description ?? "-") / \(caps.textAreaCells?.description ?? "-")"),
            ("cell size", "\(cell.size) (from \(cell.source))"),
            ("synchronized output (2026)", yesNo(caps.synchronizedOutput)),
            ("pixel mouse (1016)", yesNo(caps.pixelMouse)),
            ("graphics", "\(choice.mode.name) — \(choice.reason)"),
            ("hint", choice.hint ?? "-"),
        ]
        let width = lines.map(\.0.count).max()!
        return lines.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}
