import Foundation

extension StudioState {
    mutating func handleKey(_ key: Key) -> [Command] {
        if confirmingQuit {
            confirmingQuit = false
            if key == "q" || key == "ctrl+c" { return quit(confirmed: true) }
            message = nil
            if key.name == "escape" { return [] }
        }
        if key == "ctrl+c" { return quit() }
        if isTooSmall { return key == "q" ? quit() : [] }
        switch popup {
        case .help:
            popup = nil
            return []
        case .exportChoice:
            popup = nil
            switch key.name {
            case "c", "enter": return beginExport(.currentImage)
            case "f": return beginExport(.folder)
            default: return []
            }
        case .prompt(let purpose, let text):
            return promptKey(key, purpose: purpose, text: text)
        case nil:
            break
        }
        if panel.visible && panel.focused { return panelKey(key) }
        guard let action = Keymap.table[key] else { return [] }
        return perform(action)
    }

    // MARK: - Actions

    mutating func perform(_ action: Action) -> [Command] {
        switch action {
        case .quit:
            return quit()
        case .help:
            popup = .help
            return []
        case .redraw:
            return [.redraw]
        case .nextImage:
            return switchImage(by: 1)
        case .previousImage:
            return switchImage(by: -1)
        case .togglePanel:
            panel.visible.toggle()
            panel.focused = false
            return []
        case .focusPanel:
            panel.visible = true
            panel.focused = true
            return []
        case .nextView, .previousView:
            let all = ViewMode.allCases
            let i = all.firstIndex(of: viewMode)!
            return show(all[(i + (action == .nextView ? 1 : all.count - 1)) % all.count])
        case .showView(let mode):
            return show(mode)
        case .quickMask:
            return show(viewMode == .overlay ? (viewBeforeOverlay == .overlay ? .output : viewBeforeOverlay) : .overlay)
        case .opacity(let delta):
            overlayOpacity = min(max(overlayOpacity + delta, 0), 1)
            say("overlay opacity \(Int((overlayOpacity * 100).rounded()))%")
            if viewMode != .overlay { return show(.overlay) }
            return []
        case .zoom(let factor):
            return zoom(by: factor, at: cursor)
        case .zoomFit:
            guard document != nil else { return [] }
            documents[current].transform = ViewTransform()
            markSessionDirty()
            return []
        case .level(let steps, let coarse):
            guard let doc = document else { return [] }
            let step = coarse ? coarseStep : fineStep
            // To the next point of the step grid in that direction (so ten fine steps make one coarse step, and
            // 0.93 goes down to 0.9, not 0.8).
            let lo = range.lowerBound
            let position = (doc.level - lo) / step
            let k = steps < 0 ? (position - 1e-3).rounded(.up) + steps : (position + 1e-3).rounded(.down) + steps
            return setLevel(lo + k * step, preview: false)
        case .levelToMin:
            return setLevel(range.lowerBound, preview: false)
        case .levelToMax:
            return setLevel(range.upperBound, preview: false)
        case .tool(let t):
            tool = t
            anchor = nil
            say(t == .strips ? "strips: \(stripCount) ([ ] to change)" : "tool: \(t.rawValue)", seconds: 2)
            return []
        case .brushSize(let factor):
            if tool == .strips {
                stripCount = min(max(stripCount + (factor > 1 ? 1 : -1), 2), 64)
                say("strips: \(stripCount)", seconds: 2)
                return []
            }
            let d = brush.diameter * factor
            brush.diameter = min(max((factor > 1 ? max(d, brush.diameter + 1) : min(d, brush.diameter - 1)).rounded(),
                                     BrushSettings.diameterRange.lowerBound), BrushSettings.diameterRange.upperBound)
            return []
        case .hardness(let delta):
            brush.hardness = min(max(((brush.hardness + delta) * 10).rounded() / 10, 0), 1)
            return []
        case .value(let digit):
            primaryValue = range.lowerBound + (range.upperBound - range.lowerBound) * Float(digit) / 10
            return []
        case .nudgeValue(let fraction):
            primaryValue = clampToRange(primaryValue + (range.upperBound - range.lowerBound) * fraction)
            return []
        case .swapValues:
            swap(&primaryValue, &secondaryValue)
            return []
        case .defaults:
            let image = document?.image
            brush = BrushSettings()
            if let image { brush.diameter = Self.defaultDiameter(width: image.width, height: image.height) }
            primaryValue = range.upperBound
            secondaryValue = range.lowerBound
            say("default brush and values", seconds: 2)
            return []
        case .invert:
            let r = range
            return editMask("invert") { layer, level in
                MaskTools.invert(&layer, range: r)
                level = r.lowerBound + r.upperBound - level
                return layer.bounds
            }
        case .clear:
            return editMask("clear") { layer, _ in
                layer = MaskLayer(width: layer.width, height: layer.height)
                return layer.bounds
            }
        case .undo:
            return undo(redo: false)
        case .redo:
            return undo(redo: true)
        case .moveCursor(let dx, let dy):
            return moveCursor(dx: dx, dy: dy)
        case .applyAtCursor:
            guard document?.image != nil else { return [] }
            let p = cursor ?? centreOfView()
            cursor = p
            if penDown { return [] }
            var commands = applyTool(at: p, pane: 0, secondary: false)
            commands += endDrag()
            return commands
        case .penToggle:
            guard document?.image != nil else { return [] }
            if penDown {
                penDown = false
                return endDrag()
            }
            guard tool == .brush || tool == .eraser else { say("the pen paints with the brush or the eraser"); return [] }
            penDown = true
            let p = cursor ?? centreOfView()
            cursor = p
            return applyTool(at: p, pane: 0, secondary: false)
        case .hideCursor:
            var commands: [Command] = []
            if penDown { penDown = false; commands = endDrag() }
            cursor = nil
            anchor = nil
            return commands
        case .saveMask:
            guard let doc = document else { return [] }
            popup = .prompt(.saveMask, text: Self.defaultMaskPath(for: doc.url))
            return []
        case .loadMask:
            guard let doc = document else { return [] }
            popup = .prompt(.loadMask, text: Self.defaultMaskPath(for: doc.url))
            return []
        case .export:
            if let e = export {
                guard !e.cancelling else { return [] }
                export?.cancelling = true
                say("cancelling the export…")
                return [.cancelExport(id: e.id)]
            }
            popup = .exportChoice
            return []
        }
    }

    static func defaultMaskPath(for image: URL) -> String {
        image.deletingPathExtension().path + ".mask.png"
    }

    mutating func show(_ mode: ViewMode) -> [Command] {
        if mode == .overlay && viewMode != .overlay { viewBeforeOverlay = viewMode }
        viewMode = mode
        markSessionDirty()
        return []
    }

    mutating func zoom(by factor: Float, at anchor: (x: Float, y: Float)?) -> [Command] {
        guard document?.image != nil, let vp = Layout.panes(self, layout: Layout(self)).first?.viewport else { return [] }
        documents[current].transform = vp.zoomed(by: factor, at: anchor)
        markSessionDirty()
        return renderIfTheProxyIsTooCoarse()
    }

    /// The image point at the centre of the (first) pane.
    func centreOfView() -> (x: Float, y: Float) {
        guard let vp = Layout.panes(self, layout: Layout(self)).first?.viewport else { return (0, 0) }
        return (vp.centerX, vp.centerY)
    }

    /// Moves the keyboard cursor by whole cells of the screen, keeps it in view, and paints when the pen is down.
    mutating func moveCursor(dx: Int, dy: Int) -> [Command] {
        guard let image = document?.image, let vp = Layout.panes(self, layout: Layout(self)).first?.viewport else { return [] }
        let p = cursor ?? centreOfView()
        let stepX = max(1, vp.pixelsPerCell.x / vp.scale), stepY = max(1, vp.pixelsPerCell.y / vp.scale)
        let next = (x: min(max(p.x + Float(dx) * stepX, 0), Float(image.width) - 0.5),
                    y: min(max(p.y + Float(dy) * stepY, 0), Float(image.height) - 0.5))
        cursor = next
        let revealed = vp.revealing(next)
        if revealed != documents[current].transform { documents[current].transform = revealed }
        guard penDown else { return [] }
        return continueStroke(to: next)
    }

    // MARK: - Prompt and panel

    mutating func promptKey(_ key: Key, purpose: PromptPurpose, text: String) -> [Command] {
        switch key.name {
        case "escape":
            popup = nil
            return []
        case "enter":
            popup = nil
            return confirmPrompt(purpose, path: (text as NSString).expandingTildeInPath)
        case "backspace":
            popup = .prompt(purpose, text: String(text.dropLast()))
        case "ctrl+u":
            popup = .prompt(purpose, text: "")
        case "space":
            popup = .prompt(purpose, text: text + " ")
        default:
            if key.name.count == 1 { popup = .prompt(purpose, text: text + key.name) }
        }
        return []
    }

    mutating func confirmPrompt(_ purpose: PromptPurpose, path: String) -> [Command] {
        guard let doc = document, let layer = doc.mask else { return [] }
        let url = URL(fileURLWithPath: path)
        switch purpose {
        case .saveMask:
            return [.saveMask(url: url, intensity: .init(width: layer.width, height: layer.height,
                                                         values: layer.resolved(level: doc.level)), range: range)]
        case .loadMask:
            return [.loadMask(document: current, url: url, width: layer.width, height: layer.height, range: range)]
        }
    }

    mutating func panelKey(_ key: Key) -> [Command] {
        switch key.name {
        case "escape", "T":
            panel.focused = false
        case "t":
            panel.focused = false
            panel.visible = false
        case "q":
            return quit()
        case "1", "2", "3", "4", "5", "6", "7", "8", "9":
            let i = Int(key.name)! - 1
            guard panel.store.names.indices.contains(i) else { return [] }
            let name = panel.store.names[i]
            if panel.hidden.contains(name) { panel.hidden.remove(name) } else { panel.hidden.insert(name) }
        case "a":
            panel.hidden.removeAll()
        case "s":
            let c = PanelState.smoothingChoices
            panel.smoothing = c[((c.firstIndex(of: panel.smoothing) ?? 0) + 1) % c.count]
        case "l":
            panel.yScale = panel.yScale == .linear ? .log : .linear
        case "r":
            panel.ignoreOutliers.toggle()
        case "x":
            let all = PanelState.XAxis.allCases
            panel.xAxis = all[(all.firstIndex(of: panel.xAxis)! + 1) % all.count]
        case "enter":
            return trainingEnter()
        case "R":
            return startTraining(resume: true)
        case "?":
            popup = .help
        default:
            break
        }
        return []
    }
}
