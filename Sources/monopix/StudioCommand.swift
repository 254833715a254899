import ArgumentParser
import Foundation
import Studio

/// `monopix studio`: paint intensity masks over images and watch the generator's result.
struct StudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studio",
        abstract: "Paint per-pixel intensity masks, scrub the level and see the result in the terminal.",
        discussion: """
            Opens the images (a folder, or a file and its folder). Press ? in the studio for every key. \
            Sixel graphics where the terminal has them (xterm -ti vt340, foot, WezTerm, mlterm…), \
            half blocks elsewhere. The session (masks, levels, view) is kept in .monopix-session/ \
            beside the images.
            """
    )

    @Argument(help: "Images or a folder of PNG/JPEG images.")
    var paths: [String] = ["."]

    @Option(help: "The intensity range of the slider, as lo,hi (the config's range; low light uses -1,2).")
    var range: String = "0,1"

    @Flag(name: .customLong("low-light"), help: "Shorthand for --range -1,2.")
    var lowLight = false

    @Option(help: "The level images start at (default: 1, within the range).")
    var level: Float?

    @Option(help: "How to draw images: auto, sixel or blocks.")
    var graphics: GraphicsPreference = .auto

    @Option(name: .customLong("watch"), help: "A training log to follow in the panel (metrics.jsonl, console log, loss_log.txt). Repeatable.")
    var watch: [String] = []

    @Option(name: .customLong("session-dir"), help: "Where to keep the session (default: .monopix-session/ beside the images).")
    var sessionDirectory: String?

    @Flag(name: .customLong("no-session"), help: "Neither restore nor save a session.")
    var noSession = false

    @Flag(help: "Probe the terminal, report what it can draw, and exit.")
    var detect = false

    @Flag(name: .customLong("demo-renderer"), help: .hidden)
    var demoRenderer = false

    func validate() throws {
        _ = try parsedRange()
    }

    func parsedRange() throws -> ClosedRange<Float> {
        if lowLight { return -1...2 }
        let parts = range.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo < hi else {
            throw ValidationError("--range wants lo,hi with lo < hi, e.g. 0,1 or -1,2 (got \(range))")
        }
        return lo...hi
    }

    func run() throws {
        do {
            if detect {
                print(try StudioApp.detect(preference: graphics))
                return
            }
            let options = StudioOptions(
                paths: paths.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) },
                range: try parsedRange(), initialLevel: level, graphics: graphics,
                watch: watch.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) },
                sessionDirectory: sessionDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) },
                useSession: !noSession)
            var services = StudioServices()
            if demoRenderer {
                services.renderer = DemoRenderer()
            } else {
                do { services.renderer = try makeRenderer(options) } catch { services.rendererUnavailable = "\(error)" }
            }
            try StudioApp.run(options, services: services)
        } catch let error as StudioError {
            FileHandle.standardError.write("monopix studio: \(error)\n".data(using: .utf8)!)
            throw ExitCode(error == .notATerminal ? 2 : 1)
        }
    }
}

/// The engine's renderer for the studio. The engine engineers fill this in (load the checkpoint named by the
/// options, build an inference session, wrap it in a `FrameRenderer`); until then the studio opens as a mask
/// painter and says why there is no output.
func makeRenderer(_ options: StudioOptions) throws -> FrameRenderer {
    throw StudioError.engineNotWired
}

extension GraphicsPreference: ExpressibleByArgument {}
