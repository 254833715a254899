import Engine
import Foundation
import Kernels
import ImageIO
import Monitoring

/// Runs the studio: reads the terminal, feeds the state machine, performs its commands, draws its frames.
/// Everything here happens on one thread (the caller's); renders, exports, file I/O and the canvas encoder run
/// elsewhere and come back through the mailbox.
final class StudioRuntime {
    private let screen: TerminalScreen
    private let options: StudioOptions
    private let services: StudioServices
    private(set) var state: StudioState
    private var parser = InputParser()
    private var capabilities = TerminalCapabilities()
    /// What tmux says about passthrough and the outer terminal (nil outside tmux).
    private var tmux: TmuxContext?
    private let mailbox: Mailbox
    private let presenter: GraphicsPresenter
    private let session: SessionStore?
    private let files = DispatchQueue(label: "monopix.studio.files")
    private var followers: [(label: String, follower: LogFollower)]
    private var renderTask: Task<Void, Never>?
    private var deferredRender: RenderRequest?
    /// The full-resolution detail render started last (running or done), and the one wanted since `since`.
    private var detailTask: (request: DetailRequest, task: Task<Void, Never>)?
    private var detailWanted: (request: DetailRequest, since: Double)?
    private var exportTask: (id: Int, task: Task<Void, Never>)?
    private var signalSources: [DispatchSourceSignal] = []
    /// The `monopix train` child started from the panel, and where its strips appear.
    let training = TrainingChild()
    private var stripsDirectory: URL?
    private var lastStrip: String?

    /// `MONOPIX_STUDIO_TRACE=FILE`: one line per input, with the time from reading it to the drawn frame, and one
    /// per canvas written, with the time compositing and encoding took (off the UI thread).
    private let trace: FileHandle? = ProcessInfo.processInfo.environment["MONOPIX_STUDIO_TRACE"].flatMap {
        _ = FileManager.default.createFile(atPath: $0, contents: nil)
        return FileHandle(forWritingAtPath: $0)
    }

    private(set) var running = true
    /// The pane lost focus (focus reporting): kitty images through tmux are kept down until it comes back.
    private var away = false
    private var damaged = true
    private var pictureRects: [CellRect?] = []
    private var lastInput = 0.0
    private var lastTick = 0.0
    private var lastFollow = 0.0

    static let tickInterval = 0.1
    static let followInterval = 0.25
    /// A lone ESC older than this is the Escape key.
    static let escapeDelay = 0.025

    /// The environment the graphics choice reads (TERM_PROGRAM, TMUX, STY, COLORTERM, MONOPIX_GRAPHICS…): the
    /// process's, or a test's.
    private let environment: [String: String]

    init(options: StudioOptions, services: StudioServices, screen: TerminalScreen,
         environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.screen = screen
        self.environment = environment
        self.options = options
        self.services = services
        let (images, start, folder) = try ImageFolder.images(for: options.paths)
        let name = services.renderer?.description ?? "no renderer: \(services.rendererUnavailable ?? "none given")"
        state = StudioState(documents: images, range: options.range, rendererName: name, initialLevel: options.initialLevel)
        state.current = start
        state.rendererAvailable = services.renderer != nil
        state.sessionEnabled = options.useSession
        session = options.useSession ? SessionStore(directory: options.sessionDirectory ?? SessionStore.directory(for: folder)) : nil
        if let saved = session?.load() { state.restore(saved) }
        if options.paths.count == 1, !FileManager.default.isDirectory(options.paths[0]) {
            state.current = start   // an image named on the command line wins over the session's current one
        }
        // A run of this name may have strips already (stopped earlier, or running outside the studio).
        stripsDirectory = options.training?.launch(resume: false).stripsDirectory
        followers = options.watch.map { ($0.lastPathComponent, LogFollower(path: $0.path)) }
        state.panel.sources = followers.map(\.label)
        state.panel.visible = !followers.isEmpty
        state.panel.training = options.training
        let wakeFD = screen.wakeDescriptor
        let mailbox = Mailbox(wake: { var b: UInt8 = 1; _ = Foundation.write(wakeFD, &b, 1) })
        self.mailbox = mailbox
        presenter = GraphicsPresenter(deliver: { mailbox.post(.canvas($0)) })
    }

    // MARK: - Run

    func run() throws {
        // This thread reads input and draws; the threads that compute frames run below it (nice 10), so that input
        // is answered within a frame while both cores render (the storm test: a key within 50 ms).
        ThreadPolicy.keepResponsive(backgroundNice: 10)
        try screen.start()
        CrashRestore.install(descriptor: screen.descriptor)
        defer {
            // Kitty images stay in the terminal after the program that placed them: delete them (quit, SIGINT,
            // SIGTERM and SIGHUP all leave the loop and come here).
            screen.write(presenter.takeDownAll())
            screen.stop()
            CrashRestore.uninstall()
            removeSignalSources()
        }
        installSignalSources()
        tmux = TmuxContext.query(environment: environment)
        let probe = Self.probe(screen, parser: &parser, environment: environment, waitForOuter: tmux?.passthrough == true)
        capabilities = probe.capabilities
        updateGraphics(announce: true)
        _ = state.handle(.resize(screen.size))
        execute(state.start())
        for token in probe.early { handle(token) }
        redraw()

        while running {
            let input = screen.readInput(timeoutMilliseconds: parser.hasPending ? 25 : 50)
            let now = Self.now()
            var changed = false
            if input.resized {
                capabilities.ioctlCells = screen.size
                capabilities.ioctlPixels = screen.windowPixels
                // Ask again for what depends on the window: the cell size (for terminals without TIOCGWINSZ
                // pixels) and the largest sixel image (xterm bounds it by the window).
                screen.write(Array(CapabilityProbe.resizeQueries.utf8))
                // Kitty images are not text: the terminal does not reflow them, delete them before the relayout.
                screen.write(presenter.takeDownAll())
                if tmux != nil {
                    // Three tmux commands: 20–50 ms of process spawning, kept off the loop (the storm test's
                    // resizes took a key past 50 ms when they ran here).
                    let mailbox = self.mailbox, environment = self.environment
                    files.async { mailbox.post(.tmux(TmuxContext.query(environment: environment))) }
                }
                updateGraphics(announce: false)
                dispatch(.resize(screen.size))
                screen.invalidate()
                damaged = true
                changed = true
            }
            if !input.bytes.isEmpty {
                lastInput = now
                for token in parser.feed(input.bytes) { handle(token) }
                changed = true
            } else if parser.hasPending, now - lastInput >= Self.escapeDelay {
                for token in parser.flush() { handle(token) }
                changed = true
            }
            var encoded: [GraphicsPresenter.Encoded] = []
            for mail in mailbox.drain() {
                changed = true
                switch mail {
                case .event(let e): dispatch(e)
                case .canvas(let c): encoded.append(c)
                case .signal: execute(state.quit(confirmed: true))
                case .tmux(let answer):
                    guard let answer, answer != tmux else { break }
                    tmux = answer
                    updateGraphics(announce: false)
                    damaged = true
                }
            }
            if now - lastTick >= Self.tickInterval {
                lastTick = now
                if now - lastFollow >= Self.followInterval {
                    lastFollow = now
                    if followLogs() { changed = true }
                }
                let before = state.message?.text
                dispatch(.tick(now: now))
                changed = changed || before != state.message?.text
            }
            startDeferredRender()
            startDetailRender(now: now)
            if changed { redraw(encoded: encoded) }
            if let trace, !input.bytes.isEmpty {
                let ms = (Self.now() - now) * 1000
                trace.write(Data(String(format: "input %@ answered in %.1f ms\n", input.bytes.map { String(format: "%02x", $0) }.joined(), ms).utf8))
            }
        }
        shutdown()
    }

    /// After the loop: cancels the background work, stops a training child (SIGINT, up to `grace` seconds,
    /// SIGTERM…) and waits for the last session save.
    func shutdown(grace: Double = 5) {
        renderTask?.cancel()
        detailTask?.task.cancel()
        exportTask?.task.cancel()
        if training.isRunning {
            state.say("stopping the training run (it checkpoints first)…", seconds: 60)
            redraw()
            training.stopAndWait(grace: grace)
        }
        files.sync {}   // the last session save finishes before the terminal is handed back
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    func dispatch(_ event: Event) {
        execute(state.handle(event))
    }

    private func handle(_ token: InputToken) {
        switch token {
        case .key(let k): dispatch(.key(k))
        case .mouse(let m): dispatch(.mouse(m))
        case .focus(let focused):
            // Only asked for with kitty images through tmux: tmux shows another window over this pane without the
            // outer terminal knowing, and the images would float over it. Down while away, back on return.
            guard state.graphics.mode.isKittyThroughTmux, away == focused else { return }
            away = !focused
            if away { screen.write(presenter.takeDownAll()) } else { damaged = true }
        case .reply(let r):
            // A late answer to the start-up queries: it may change how the canvas is drawn.
            capabilities.apply(r)
            updateGraphics(announce: false)
        }
    }

    private func redraw(encoded: [GraphicsPresenter.Encoded] = []) {
        var frame = view(state)
        if away { frame.popupOverCanvas = true }   // the pictures stay down, as under a popup
        // Pictures are drawn outside ncurses, which believes their cells blank: when one moves, shrinks or goes
        // away (the panel opened, a strip appeared), the whole screen is repainted so no stale pixels stay behind.
        let rects = [frame.canvas?.rect, frame.strip?.rect]
        if rects != pictureRects {
            pictureRects = rects
            screen.invalidate()
            damaged = true
        }
        screen.write(Array(TerminalSequence.beginSynchronized.utf8))
        screen.draw(frame)
        var out: [UInt8] = []
        if let b = presenter.present(frame, sources: canvasSources(), mode: state.graphics.mode, damaged: damaged) { out += b }
        for e in encoded {
            guard let b = presenter.accept(e, popupOverCanvas: frame.popupOverCanvas) else { continue }
            out += b
            trace?.write(Data(String(format: "%@ %dx%d px %@ composed and encoded in %.1f ms, %d bytes\n",
                                     e.spec.slot == .canvas ? "canvas" : "strip", e.spec.pixelSize.width, e.spec.pixelSize.height,
                                     e.mode.name,
                                     e.seconds * 1000, b.count).utf8))
        }
        damaged = false
        screen.write(out + Array(TerminalSequence.endSynchronized.utf8))
    }

    private func canvasSources() -> CanvasSources? {
        guard let doc = state.document, let image = doc.image else { return nil }
        return CanvasSources(input: image, output: doc.output, mask: doc.mask, detail: doc.detail)
    }

    // MARK: - Terminal capabilities

    /// Sends the query batch and reads answers until DA1 (the fence) or the timeout. Keys typed meanwhile are kept.
    static func probe(_ screen: TerminalScreen, parser: inout InputParser, environment: [String: String],
                      waitForOuter: Bool = false) -> (capabilities: TerminalCapabilities, early: [InputToken]) {
        var caps = TerminalCapabilities()
        caps.behindTmux = environment["TMUX"] != nil
        var early: [InputToken] = []
        // A 3-byte object for the shared-memory query; removed after the fence whether or not the terminal took it.
        let object = CapabilityProbe.asksKittyDirectly(environment) ? KittySharedMemory.store([0, 0, 0]) : nil
        defer { object.map(KittySharedMemory.remove) }
        screen.write(Array(CapabilityProbe.queries(environment: environment, sharedMemoryObject: object).utf8))
        let deadline = now() + CapabilityProbe.timeoutSeconds
        // Inside tmux with passthrough, the outer terminal's DA1 is a second fence worth waiting for.
        while caps.primaryAttributes == nil || (waitForOuter && caps.outer.primaryAttributes == nil) {
            let left = deadline - now()
            guard left > 0 else { break }
            let input = screen.readInput(timeoutMilliseconds: max(1, Int(left * 1000)))
            for token in parser.feed(input.bytes) {
                if case .reply(let r) = token { caps.apply(r) } else { early.append(token) }
            }
        }
        caps.ioctlCells = screen.size
        caps.ioctlPixels = screen.windowPixels
        return (caps, early)
    }

    /// Decides (again) how to draw the canvas from what the terminal said; tells the state machine and the parser.
    private func updateGraphics(announce: Bool) {
        let choice = chooseGraphics(preference: options.graphics, capabilities: capabilities, environment: environment, tmux: tmux)
        let (mode, reason) = (choice.mode, choice.reason)
        // A crash must delete kitty images too (they outlive the process); nothing to delete in other modes.
        let delete = mode.passthrough == nil ? KittyGraphics.deleteAll : TmuxPassthrough.wrap(KittyGraphics.deleteAll)
        CrashRestore.setKittyImages(mode.isKitty ? delete : [])
        let cell = capabilities.cellPixels(columns: screen.size.columns, rows: screen.size.rows)
        // Pixel mouse only when the cell size is known (pixels are turned into cells with it).
        let pixelMouse = capabilities.pixelMouse == true && cell.source != "default 10x20"
        let info = GraphicsInfo(mode: mode, cellPixels: cell.size, pixelMouse: pixelMouse, reason: reason, hint: choice.hint)
        guard info != state.graphics || announce else { return }
        let focusEvents = mode.isKittyThroughTmux
        if focusEvents != state.graphics.mode.isKittyThroughTmux || announce {
            screen.write(Array((focusEvents ? TerminalSequence.focusEventsOn : TerminalSequence.focusEventsOff).utf8))
            if !focusEvents { away = false }
        }
        if pixelMouse != parser.pixelMouse || announce {
            screen.write(Array((pixelMouse ? TerminalSequence.pixelMouseOn : "\u{1B}[?1016l").utf8))
        }
        parser.pixelMouse = pixelMouse
        parser.cellPixels = (cell.size.width, cell.size.height)
        dispatch(.graphics(info))
        // The hint, if any, stays in the status line (GraphicsInfo.hint); the reason is said once.
        if announce || info.mode != state.graphics.mode { state.say(reason, seconds: 5) }
        damaged = true
    }

    // MARK: - Commands

    private func execute(_ commands: [Command]) {
        for command in commands { execute(command) }
    }

    private func execute(_ command: Command) {
        switch command {
        case .render(let request):
            // Held until the batch of input being handled is done: of a burst of events only the last request
            // matters (latest wins), and starting a task per mouse report would cost more than the events.
            deferredRender = request
        case .loadImage(let index, let url):
            let session = self.session, mailbox = self.mailbox
            files.async {
                do {
                    let image = try ImageFile.readRGB(url)
                    let mask = session?.loadMask(for: url.lastPathComponent, width: image.width, height: image.height)
                    mailbox.post(.imageLoaded(document: index, image: image, sessionMask: mask))
                } catch {
                    mailbox.post(.imageFailed(document: index, message: "\(url.lastPathComponent): \(error)"))
                }
            }
        case .saveSession(let snapshot):
            guard let session else { return }
            let mailbox = self.mailbox
            files.async {
                do { try session.save(snapshot) } catch { mailbox.post(.notice("session not saved: \(error)", isError: true)) }
            }
        case .export(var request):
            guard let exporter = services.exporter else {
                mailbox.post(.exportProgress(ExportProgress(id: request.id, completed: 0, total: 0, message: "", finished: true,
                                                            error: "export is not wired to the engine yet")))
                return
            }
            if let session {
                for i in request.jobs.indices where request.jobs[i].painted == nil {
                    let url = session.maskURL(for: request.jobs[i].image.lastPathComponent)
                    if FileManager.default.fileExists(atPath: url.path) { request.jobs[i].paintedFile = url }
                }
            }
            let mailbox = self.mailbox
            let id = request.id
            exportTask = (id, Task.detached(priority: .utility) { [request] in
                do {
                    try await exporter.run(request) { mailbox.post(.exportProgress($0)) }
                } catch {
                    let text = Task.isCancelled || error is CancellationError ? "cancelled" : "\(error)"
                    mailbox.post(.exportProgress(ExportProgress(id: id, completed: 0, total: 0, message: "", finished: true, error: text)))
                }
            })
        case .cancelExport(let id):
            if exportTask?.id == id { exportTask?.task.cancel() }
        case .loadMask(let index, let url, let width, let height, let range):
            let mailbox = self.mailbox
            files.async {
                do {
                    let layer = try MaskFiles.load(url, width: width, height: height, range: range)
                    mailbox.post(.maskLoaded(document: index, layer: layer, path: url.path))
                } catch {
                    mailbox.post(.notice("\(error)", isError: true))
                }
            }
        case .saveMask(let url, let map, let range):
            let mailbox = self.mailbox
            files.async {
                do {
                    try MaskFiles.save(map, range: range, to: url)
                    mailbox.post(.notice("saved \(url.path)", isError: false))
                } catch {
                    mailbox.post(.notice("\(error)", isError: true))
                }
            }
        case .startTraining(let launch):
            startTraining(launch)
        case .stopTraining(let force):
            training.stop(force: force)
        case .redraw:
            screen.invalidate()
            damaged = true
        case .quit:
            running = false
        }
    }

    /// One render request, progressively: a frame the engine has at once (a blend of levels it cached for this
    /// mask) goes out first; then the exact frame, or for a preview the engine's fast preview of a stroke, or a
    /// render sampled down when neither was at hand.
    static func perform(_ request: RenderRequest, with renderer: FrameRenderer,
                        deliver: @Sendable (RenderResult) -> Void) async throws {
        let t0 = now()
        if let pixels = request.displayPixels { renderer.setDisplayPixels(pixels) }
        let subject = request.subject
        if let instant = renderer.instantFrame(of: subject, level: request.level) {
            let final = instant.exact || !request.exact
            deliver(RenderResult(id: request.id, image: instant.image, seconds: now() - t0, exact: instant.exact,
                                 blended: !instant.exact, isFinal: final))
            if final { return }
        }
        let out: RGBImage
        if request.exact {
            out = try await renderer.render(subject, level: request.level)
        } else if request.strokePreview, let fast = try await renderer.renderPreview(subject, level: request.level) {
            out = fast
        } else if let side = request.lowResolutionSide {
            let small = RenderRequest.preview(id: request.id, document: request.document, image: request.image,
                                              mask: request.mask, level: request.level, side: side)
            out = try await renderer.render(image: small.image, intensity: small.intensity())
        } else {
            out = try await renderer.render(image: request.image, intensity: request.intensity())
        }
        guard !Task.isCancelled else { return }
        deliver(RenderResult(id: request.id, image: out, seconds: now() - t0, exact: request.exact))
    }

    /// Starts the render the last batch of events asked for, cancelling the one running (latest wins).
    /// How long the view must stay put before a detail render starts: zooming with the wheel passes through
    /// several views a second, and each render would only be cancelled by the next.
    static let detailSettle = 0.15

    /// Starts the full-resolution render of the view's region once the view has settled on one the state wants
    /// (`StudioState.wantedDetail`); a detail the renderer declines or fails is not asked for again.
    private func startDetailRender(now: Double) {
        guard let renderer = services.renderer, let wanted = state.wantedDetail() else {
            detailWanted = nil
            return
        }
        if let started = detailTask, started.request.isSameWork(as: wanted) { return }
        guard let since = detailWanted, since.request.isSameWork(as: wanted) else {
            detailWanted = (wanted, now)
            return
        }
        guard now - since.since >= Self.detailSettle else { return }
        detailTask?.task.cancel()
        let mailbox = self.mailbox
        let task = Task.detached(priority: .userInitiated) {
            let r = wanted.region
            guard let image = try? await renderer.renderDetail(wanted.subject, level: wanted.level, left: r.x, top: r.y,
                                                                width: r.width, height: r.height),
                  !Task.isCancelled else { return }
            mailbox.post(.detailRendered(DetailFrame(image: image, region: r, outputVersion: wanted.outputVersion),
                                         document: wanted.document))
        }
        detailTask = (wanted, task)
    }

    private func startDeferredRender() {
        guard let request = deferredRender else { return }
        deferredRender = nil
        guard let renderer = services.renderer else { return }
        renderTask?.cancel()
        detailTask?.task.cancel()
        let mailbox = self.mailbox
        renderTask = Task.detached(priority: .userInitiated) {
            do {
                try await Self.perform(request, with: renderer) { mailbox.post(.frameRendered($0)) }
            } catch is CancellationError {
            } catch {
                if !Task.isCancelled { mailbox.post(.renderFailed(id: request.id, message: "\(error)")) }
            }
        }
    }

    /// Starts the child; its metrics are followed (once per path) and its strips watched.
    func startTraining(_ launch: TrainingLaunch) {
        let mailbox = self.mailbox
        do {
            let pid = try training.start(launch) { code, signalled in
                mailbox.post(.trainingExited(code: code, signalled: signalled))
            }
            // Read the metrics from the top again: the trainer rewrites the file on --resume (so what was
            // followed before would be counted twice).
            let path = launch.metricsFile.path
            let label = followers.first(where: { $0.follower.path == path })?.label
                ?? launch.runDirectory.lastPathComponent + "/metrics.jsonl"
            followers.removeAll { $0.follower.path == path }
            followers.append((label, LogFollower(path: path)))
            stripsDirectory = launch.stripsDirectory
            lastStrip = nil
            dispatch(.trainingStarted(pid: pid, metricsLabel: label))
            dispatch(.logLines(source: label, lines: [], reset: true, arrival: Date().timeIntervalSince1970))
        } catch {
            dispatch(.trainingFailedToStart("\(launch.executable): \(error)"))
        }
    }

    /// Reads what the followed logs gained; true when something arrived.
    func followLogs() -> Bool {
        let arrival = Date().timeIntervalSince1970
        var any = false
        if let dir = stripsDirectory {
            let newest = TrainingChild.newestStrip(in: dir)
            if newest != lastStrip {
                lastStrip = newest
                dispatch(.trainingStrip(newest))
                any = true
            }
        }
        for (label, follower) in followers {
            let (lines, change) = follower.poll()
            if !lines.isEmpty || change == .truncated {
                dispatch(.logLines(source: label, lines: lines, reset: change == .truncated, arrival: arrival))
                any = true
            }
        }
        return any
    }

    // MARK: - Signals

    /// SIGINT and SIGTERM end the studio the normal way (session saved, terminal restored).
    private func installSignalSources() {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [mailbox] in mailbox.post(.signal(sig)) }
            source.resume()
            signalSources.append(source)
        }
    }

    /// The signals back as they were (the process may go on: a test, or a caller that runs the studio twice).
    private func removeSignalSources() {
        for source in signalSources { source.cancel() }
        signalSources.removeAll()
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
    }
}

private extension FileManager {
    func isDirectory(_ url: URL) -> Bool {
        var flag: ObjCBool = false
        return fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
    }
}

/// On a crash (a trap or a fault), puts the terminal back before dying: mouse modes off, cursor shown, main
/// screen. Only async-signal-safe calls (`write`, `signal`, `raise`) on preallocated bytes.
enum CrashRestore {
    nonisolated(unsafe) private static var bytes: UnsafeMutableBufferPointer<UInt8>?
    nonisolated(unsafe) private static var descriptor: Int32 = STDOUT_FILENO
    static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]

    static func install(descriptor fd: Int32) {
        descriptor = fd
        setBytes(kittyImages + base)
        for s in signals {
            signal(s) { sig in
                if let b = CrashRestore.bytes { _ = write(CrashRestore.descriptor, b.baseAddress, b.count) }
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }

    /// The modes switched off and the main screen back.
    private static let base = Array((TerminalSequence.restore + "\u{1B}[?1049l\r\n").utf8)
    nonisolated(unsafe) private static var kittyImages: [UInt8] = []

    /// The kitty images to delete as well (empty unless the studio draws them).
    static func setKittyImages(_ delete: [UInt8]) {
        guard delete != kittyImages else { return }
        kittyImages = delete
        setBytes(delete + base)
    }

    /// Swaps in new bytes for the handler. The old buffer is not freed: a handler running right now may be
    /// writing it (a few hundred bytes, replaced only when the protocol changes).
    private static func setBytes(_ text: [UInt8]) {
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.count)
        _ = buffer.initialize(from: text)
        bytes = buffer
    }

    static func uninstall() {
        for s in signals { signal(s, SIG_DFL) }
    }
}
