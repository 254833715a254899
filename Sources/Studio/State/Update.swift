import Engine
import Foundation
import ImageIO
import Monitoring

/// The studio's logic, as bubbletea has it: a pure function from the state and an event to the next state and
/// the side effects to perform. Nothing here touches the terminal, the clock or the disk.
func update(_ state: StudioState, _ event: Event) -> (StudioState, [Command]) {
    var next = state
    let commands = next.handle(event)
    return (next, commands)
}

extension StudioState {
    /// Seconds without changes before the session is written.
    static let sessionDebounce = 1.0
    /// Long side of the quick previews rendered while dragging.
    static let previewSide = 256

    /// The commands to run once at start: load the first image.
    mutating func start() -> [Command] {
        ensureLoaded()
    }

    /// `update` in place (the runtime uses this to avoid copying the masks on every event).
    mutating func handle(_ event: Event) -> [Command] {
        switch event {
        case .key(let key):
            return handleKey(key)
        case .mouse(let mouse):
            return handleMouse(mouse)
        case .resize(let newSize):
            size = newSize
            return renderIfTheProxyIsTooCoarse()
        case .graphics(let info):
            graphics = info
            return renderIfTheProxyIsTooCoarse()
        case .imageLoaded(let index, let image, let sessionMask):
            return imageLoaded(index, image: image, sessionMask: sessionMask)
        case .imageFailed(let index, let text):
            guard documents.indices.contains(index) else { return [] }
            documents[index].loading = false
            documents[index].loadError = text
            if index == current { say(text, isError: true) }
            return []
        case .frameRendered(let result):
            return frameRendered(result)
        case .detailRendered(let frame, let document):
            return detailRendered(frame, document: document)
        case .renderFailed(let id, let text):
            guard id == render.pendingID else { return [] }
            render.pendingID = nil
            render.error = text
            say("render failed: \(text)", isError: true, seconds: 8)
            return []
        case .exportProgress(let progress):
            return exportProgressed(progress)
        case .logLines(let source, let lines, let reset, let arrival):
            logLines(source: source, lines: lines, reset: reset, arrival: arrival)
            return []
        case .maskLoaded(let index, let layer, let path):
            guard documents.indices.contains(index), let before = documents[index].mask,
                  before.width == layer.width, before.height == layer.height else {
                say("mask \(path) does not fit the image", isError: true)
                return []
            }
            documents[index].history.record(name: "load mask", before: before, after: layer, rect: layer.bounds)
            documents[index].mask = layer
            return maskChanged(index, preview: false, message: "loaded \(path)")
        case .notice(let text, let isError):
            say(text, isError: isError, seconds: isError ? 8 : 4)
            return []
        case .trainingStarted(let pid, let label):
            return trainingStarted(pid: pid, metricsLabel: label)
        case .trainingFailedToStart(let text):
            return trainingFailedToStart(text)
        case .trainingExited(let code, let signalled):
            return trainingExited(code: code, signalled: signalled)
        case .trainingStrip(let name):
            panel.strip = name
            return []
        case .tick(let t):
            return tick(t)
        }
    }

    // MARK: - Images

    /// Asks for the current image if it is not in memory, and lets go of the images two or more steps away.
    mutating func ensureLoaded() -> [Command] {
        for i in documents.indices where abs(i - current) > 1 && documents[i].image != nil {
            documents[i].image = nil
            documents[i].output = nil
            documents[i].outputVersion = 0
            if let m = documents[i].mask, m.isBlank {
                documents[i].mask = nil
                documents[i].maskKnownBlank = true
            }
        }
        guard let doc = document else { return [] }
        if doc.image != nil { return requestRender(preview: false) }
        guard !doc.loading, doc.loadError == nil else { return [] }
        documents[current].loading = true
        return [.loadImage(document: current, url: doc.url)]
    }

    mutating func imageLoaded(_ index: Int, image: RGBImage, sessionMask: MaskLayer?) -> [Command] {
        guard documents.indices.contains(index) else { return [] }
        documents[index].loading = false
        documents[index].image = image
        documents[index].loadError = nil
        if let m = documents[index].mask, m.width == image.width, m.height == image.height {
            // Painted earlier in this run: memory is newer than the session file.
        } else if !documents[index].maskKnownBlank, let m = sessionMask, m.width == image.width, m.height == image.height {
            documents[index].mask = m
        } else {
            documents[index].mask = MaskLayer(width: image.width, height: image.height)
        }
        if documents[index].history.undoSteps.isEmpty, brush.diameter == BrushSettings().diameter {
            brush.diameter = Self.defaultDiameter(width: image.width, height: image.height)
        }
        return index == current ? requestRender(preview: false) : []
    }

    static func defaultDiameter(width: Int, height: Int) -> Float {
        max(4, (Float(min(width, height)) / 12).rounded())
    }

    mutating func switchImage(by step: Int) -> [Command] {
        guard documents.count > 1 else { say("only one image"); return [] }
        var commands = endDrag()
        current = (current + step + documents.count) % documents.count
        anchor = nil
        cursor = nil
        penDown = false
        render = RenderStatus()
        markSessionDirty()
        commands += ensureLoaded()
        return commands
    }

    // MARK: - Rendering

    /// Asks the engine for a frame of the current image. Exact requests always go out (and cancel what runs);
    /// a preview asked for while another preview runs waits for it, so a drag cannot starve the engine.
    /// `scrub`: only the level changed, so the engine may answer at once with frames it keeps for this mask
    /// (a preview then carries the full image, and falls back to a low-resolution render when it has none).
    mutating func requestRender(preview: Bool, scrub: Bool = false) -> [Command] {
        guard rendererAvailable, let doc = document, let image = doc.image else { return [] }
        if preview, render.pendingID != nil, render.pendingIsPreview {
            render.previewWanted = true
            render.previewWantedIsScrub = scrub
            return []
        }
        let id = makeID()
        render.pendingID = id
        render.pendingDocument = current
        render.pendingIsPreview = preview
        render.previewWanted = false
        render.shownEarly = nil
        render.error = nil
        var request: RenderRequest
        if !preview {
            request = RenderRequest(id: id, document: current, image: image, mask: doc.mask, level: doc.level, exact: true)
        } else if scrub {
            request = RenderRequest(id: id, document: current, image: image, mask: doc.mask, level: doc.level, exact: false,
                                    lowResolutionSide: Self.previewSide)
        } else {
            request = RenderRequest(id: id, document: current, image: image, mask: doc.mask, level: doc.level, exact: false,
                                    lowResolutionSide: Self.previewSide, strokePreview: true)
        }
        request.displayPixels = displayPixels()
        // A photo's first frame comes on the smallest proxy (a picture at once), the sharp one right after it.
        if doc.output == nil, let wanted = request.displayPixels { request.displayPixels = min(wanted, Self.minimumDisplayPixels) }
        if !preview { render.lastDisplayPixels = request.displayPixels }
        return [.render(request)]
    }

    mutating func frameRendered(_ result: RenderResult) -> [Command] {
        guard result.id == render.pendingID else { return [] }   // stale: a newer request replaced it
        let index = render.pendingDocument
        if result.isFinal {
            render.pendingID = nil
            render.shownEarly = nil
            render.lastSeconds = result.seconds
            render.lastExact = result.exact
            render.lastBlended = result.blended
        } else {
            render.shownEarly = result
        }
        if documents.indices.contains(index) {
            documents[index].output = result.image
            documents[index].outputVersion = result.id
            documents[index].detail = nil
        }
        if result.isFinal, render.previewWanted { return requestRender(preview: true, scrub: render.previewWantedIsScrub) }
        if result.isFinal, result.exact { return renderIfTheProxyIsTooCoarse() }
        return []
    }

    // MARK: - Mask changes

    /// After any change of a document's mask or level: new versions, a render, a session save.
    mutating func maskChanged(_ index: Int, preview: Bool, scrub: Bool = false, message text: String? = nil) -> [Command] {
        documents[index].maskVersion += 1
        markSessionDirty()
        if let text { say(text) }
        return index == current ? requestRender(preview: preview, scrub: scrub) : []
    }

    mutating func setLevel(_ value: Float, preview: Bool) -> [Command] {
        guard document != nil else { return [] }
        let v = clampToRange(value)
        guard v != documents[current].level else { return [] }
        documents[current].level = v
        return maskChanged(current, preview: preview, scrub: true)
    }

    /// Applies a whole-layer edit as one undo step.
    mutating func editMask(_ name: String, preview: Bool = false, _ body: (inout MaskLayer, inout Float) -> PixelRect) -> [Command] {
        guard document?.image != nil, var layer = documents[current].mask else { return [] }
        let before = layer
        var level = documents[current].level
        let levelBefore = level
        let rect = body(&layer, &level)
        documents[current].history.record(name: name, before: before, after: layer, rect: rect,
                                          levelBefore: levelBefore == level ? nil : levelBefore,
                                          levelAfter: levelBefore == level ? nil : level)
        documents[current].mask = layer
        documents[current].level = level
        return maskChanged(current, preview: preview)
    }

    mutating func undo(redo: Bool) -> [Command] {
        var commands = endDrag()
        guard document != nil, var layer = documents[current].mask else { return commands }
        guard let step = redo ? documents[current].history.popRedo() : documents[current].history.popUndo() else {
            say(redo ? "nothing to redo" : "nothing to undo")
            return commands
        }
        layer.paste(redo ? step.after : step.before, into: step.rect)
        documents[current].mask = layer
        if let l = redo ? step.levelAfter : step.levelBefore { documents[current].level = l }
        commands += maskChanged(current, preview: false, message: (redo ? "redo " : "undo ") + step.name)
        return commands
    }

    // MARK: - Session and time

    mutating func tick(_ t: Double) -> [Command] {
        now = t
        if let m = message, m.until <= t { message = nil }
        if let since = sessionDirtySince, t - since >= Self.sessionDebounce, drag == nil, sessionEnabled {
            sessionDirtySince = nil
            return [.saveSession(snapshot())]
        }
        return []
    }

    /// `confirmed`: no question even while a run is going (a signal, or the second `q`).
    mutating func quit(confirmed: Bool = false) -> [Command] {
        if panel.run.isActive && !confirmed {
            confirmingQuit = true
            say("a training run is going: q again to stop it and quit, Esc to stay", seconds: 3600)
            return []
        }
        confirmingQuit = false
        var commands = endDrag()
        quitting = true
        if sessionEnabled, sessionDirtySince != nil {
            sessionDirtySince = nil
            commands.append(.saveSession(snapshot()))
        }
        if export != nil, let id = export?.id { commands.append(.cancelExport(id: id)) }
        if panel.run.isActive { commands.append(.stopTraining(force: false)) }
        commands.append(.quit)
        return commands
    }

    // MARK: - Training logs

    mutating func logLines(source: String, lines: [String], reset: Bool, arrival: Double) {
        let prefix = panel.sources.count > 1 ? source + ":" : ""
        if reset { panel.store.removeSeries(prefix: prefix) }
        for line in lines {
            if let record = LogLineParser.parse(line) {
                panel.store.append(record, prefix: prefix, arrival: arrival)
            }
        }
    }

    // MARK: - Export

    mutating func beginExport(_ scope: ExportRequest.Scope) -> [Command] {
        guard let doc = document else { return [] }
        let indices = scope == .currentImage ? [current] : Array(documents.indices)
        let jobs = indices.map { i -> ExportJob in
            let d = documents[i]
            let painted = d.mask.flatMap { $0.isBlank ? nil : $0.paintedMap }
            return ExportJob(image: d.url, level: d.level, painted: painted)
        }
        let lo = range.lowerBound, hi = range.upperBound
        let trajectory = Levels.linspace(lo, hi, count: 11)  // as predict and the reference: same levels, same file names
        let id = makeID()
        export = ExportStatus(id: id, scope: scope)
        say("export started (\(jobs.count) image\(jobs.count == 1 ? "" : "s"))")
        let out = doc.url.deletingLastPathComponent().appendingPathComponent("monopix-export", isDirectory: true)
        return [.export(ExportRequest(id: id, scope: scope, jobs: jobs, trajectory: trajectory, range: range,
                                      outputDirectory: out))]
    }

    mutating func exportProgressed(_ progress: ExportProgress) -> [Command] {
        guard export?.id == progress.id else { return [] }
        export?.progress = progress
        if progress.finished {
            export = nil
            if let e = progress.error { say("export stopped: \(e)", isError: e != "cancelled", seconds: 8) }
            else { say("export done: \(progress.completed)/\(progress.total)", seconds: 8) }
        }
        return []
    }
}
