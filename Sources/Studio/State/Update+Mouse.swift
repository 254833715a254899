extension StudioState {
    mutating func handleMouse(_ m: MouseEvent) -> [Command] {
        guard !isTooSmall else { return [] }
        if popup != nil {
            if m.kind == .press, popup == .help { popup = nil }
            return []
        }
        let layout = Layout(self)
        if drag != nil, !penDown {
            switch m.kind {
            case .drag, .move: return continueDrag(m, layout: layout)
            case .release: return continueDrag(m, layout: layout) + endDrag(at: m, layout: layout)
            case .press, .wheelUp, .wheelDown: break
            }
        }
        switch m.kind {
        case .wheelUp, .wheelDown:
            guard let (_, p) = imagePoint(m, layout: layout) else { return [] }
            return zoom(by: m.kind == .wheelUp ? 1.25 : 0.8, at: p)
        case .press:
            return press(m, layout: layout)
        case .drag, .move, .release:
            return []
        }
    }

    /// The pane under the pointer and the image point there (which may lie outside the image).
    func imagePoint(_ m: MouseEvent, layout: Layout) -> (pane: Int, point: (x: Float, y: Float))? {
        let panes = Layout.panes(self, layout: layout)
        guard let i = panes.firstIndex(where: { $0.viewport.rect.contains(column: m.column, row: m.row) }) else { return nil }
        return (i, point(m, in: panes[i].viewport))
    }

    func point(_ m: MouseEvent, in vp: Viewport) -> (x: Float, y: Float) {
        vp.imagePoint(column: m.column, row: m.row, pixel: graphics.pixelMouse ? m.pixel : nil, cellPixels: graphics.cellPixels)
    }

    /// The level under a slider column (or pixel, when the terminal reports pixels).
    func sliderLevel(_ m: MouseEvent, layout: Layout) -> Float {
        let track = layout.sliderTrack
        var f = (Float(m.column - track.x) + 0.5) / Float(track.width)
        if graphics.pixelMouse, let p = m.pixel {
            f = (Float(p.x) / Float(graphics.cellPixels.width) - Float(track.x)) / Float(track.width)
        }
        return range.lowerBound + (range.upperBound - range.lowerBound) * min(max(f, 0), 1)
    }

    private mutating func press(_ m: MouseEvent, layout: Layout) -> [Command] {
        if m.row == layout.sliderRow, m.column >= layout.sliderTrack.x - 1,
           m.column <= layout.sliderTrack.x + layout.sliderTrack.width {
            drag = .slider
            return setLevel(sliderLevel(m, layout: layout), preview: true)
        }
        guard let (pane, p) = imagePoint(m, layout: layout) else { return [] }
        if m.button == .middle || (m.alt && m.button == .left) {
            drag = .pan(lastColumn: m.column, lastRow: m.row, lastPixel: m.pixel)
            return []
        }
        if viewMode == .wipe, let vp = Layout.panes(self, layout: layout).first?.viewport {
            let dividerColumn = vp.rect.x + Int(wipe * Float(vp.rect.width))
            if abs(m.column - dividerColumn) <= 1 {
                drag = .wipe
                return []
            }
        }
        guard m.button == .left || m.button == .right else { return [] }
        return applyTool(at: p, pane: pane, secondary: m.button == .right)
    }

    /// What a click (or space) does with the current tool at image point `p`.
    mutating func applyTool(at p: (x: Float, y: Float), pane: Int, secondary: Bool) -> [Command] {
        guard let image = document?.image, let layer = documents[current].mask else { return [] }
        let value = secondary ? secondaryValue : primaryValue
        switch tool {
        case .brush, .eraser:
            drag = .paint(Stroke(target: tool == .eraser ? .erase : .value(value), brush: brush, layer: layer), pane: pane)
            return continueStroke(to: p)
        case .fill:
            let x = Int(p.x.rounded(.down)), y = Int(p.y.rounded(.down))
            guard x >= 0, y >= 0, x < image.width, y < image.height else { return [] }
            return editMask("fill") { layer, level in
                MaskTools.floodFill(&layer, x: x, y: y, value: value, level: level)
            }
        case .gradient, .strips:
            guard let a = anchor else {
                anchor = p
                drag = .line(pane: pane)
                say("\(tool.rawValue): now the end point (click, or release the drag)", seconds: 3)
                return []
            }
            anchor = nil
            let (start, end) = secondary ? (secondaryValue, primaryValue) : (primaryValue, secondaryValue)
            let count = stripCount, isStrips = tool == .strips
            return editMask(tool.rawValue) { layer, _ in
                if isStrips {
                    MaskTools.strips(&layer, from: a, to: p, startValue: start, endValue: end, count: count)
                } else {
                    MaskTools.linearGradient(&layer, from: a, to: p, startValue: start, endValue: end)
                }
                return layer.bounds
            }
        }
    }

    /// Moves the stroke in progress to image point `p`, editing the mask in place: the stroke is taken out of
    /// `drag` while it works so that its coverage buffer, and the mask, are not shared (and so not copied).
    mutating func continueStroke(to p: (x: Float, y: Float)) -> [Command] {
        guard case .paint(var stroke, let pane)? = drag, documents[current].mask != nil else { return [] }
        drag = nil
        stroke.move(to: p.x, p.y, layer: &documents[current].mask!, level: documents[current].level)
        drag = .paint(stroke, pane: pane)
        return maskChanged(current, preview: true)
    }

    private mutating func continueDrag(_ m: MouseEvent, layout: Layout) -> [Command] {
        guard let current = drag else { return [] }
        switch current {
        case .slider:
            return setLevel(sliderLevel(m, layout: layout), preview: true)
        case .wipe:
            guard let vp = Layout.panes(self, layout: layout).first?.viewport else { return [] }
            var f = (Float(m.column - vp.rect.x) + 0.5) / Float(vp.rect.width)
            if graphics.pixelMouse, let px = m.pixel {
                f = (Float(px.x) / Float(graphics.cellPixels.width) - Float(vp.rect.x)) / Float(vp.rect.width)
            }
            wipe = min(max(f, 0), 1)
            return []
        case .pan(let column, let row, let pixel):
            guard let vp = Layout.panes(self, layout: layout).first?.viewport else { return [] }
            var dx = Float(m.column - column) * vp.pixelsPerCell.x, dy = Float(m.row - row) * vp.pixelsPerCell.y
            if graphics.pixelMouse, let a = pixel, let b = m.pixel {
                dx = Float(b.x - a.x) * vp.pixelsPerCell.x / Float(graphics.cellPixels.width)
                dy = Float(b.y - a.y) * vp.pixelsPerCell.y / Float(graphics.cellPixels.height)
            }
            documents[self.current].transform = vp.panned(viewDX: dx, viewDY: dy)
            drag = .pan(lastColumn: m.column, lastRow: m.row, lastPixel: m.pixel)
            markSessionDirty()
            return []
        case .paint(_, let pane):
            let panes = Layout.panes(self, layout: layout)
            guard panes.indices.contains(pane) else { return [] }
            let p = point(m, in: panes[pane].viewport)
            return continueStroke(to: p)
        case .line:
            return []
        }
    }

    /// Ends whatever drag is in progress: a stroke becomes one undo step and gets an exact render; a gradient
    /// dragged far enough is applied.
    mutating func endDrag(at m: MouseEvent? = nil, layout: Layout? = nil) -> [Command] {
        guard let finished = drag else { return [] }
        drag = nil
        switch finished {
        case .paint(let stroke, _):
            guard document != nil, let layer = documents[current].mask else { return [] }
            documents[current].history.record(name: stroke.target == .erase ? "eraser" : "brush",
                                              before: stroke.before, after: layer, rect: stroke.dirty)
            return requestRender(preview: false)
        case .slider:
            return requestRender(preview: false)
        case .line(let pane):
            guard let m, let layout, let a = anchor else { return [] }
            let panes = Layout.panes(self, layout: layout)
            guard panes.indices.contains(pane) else { return [] }
            let vp = panes[pane].viewport
            let p = point(m, in: vp)
            let va = vp.viewPoint(imageX: a.x, imageY: a.y), vb = vp.viewPoint(imageX: p.x, imageY: p.y)
            // A click (no real drag) keeps the anchor and waits for the second click.
            guard abs(va.x - vb.x) + abs(va.y - vb.y) > 2 * vp.pixelsPerCell.x else { return [] }
            return applyTool(at: p, pane: pane, secondary: m.button == .right)
        case .wipe, .pan:
            markSessionDirty()
            return []
        }
    }
}
