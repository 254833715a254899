import Foundation
import Monitoring

/// The screen for a state: bubbletea's `view`. Pure: the same state always gives the same frame.
func view(_ state: StudioState) -> Frame {
    var frame = Frame(size: state.size)
    guard !state.isTooSmall else {
        let need = StudioState.minimumSize
        let lines = ["Terminal too small: \(state.size.columns)x\(state.size.rows).",
                     "MonoPix Studio needs at least \(need.columns)x\(need.rows).", "Resize, or press q to quit."]
        for (i, line) in lines.enumerated() {
            frame.put(line, column: max(0, (state.size.columns - line.count) / 2), row: state.size.rows / 2 - 1 + i,
                      style: i == 0 ? .accent : .plain)
        }
        return frame
    }
    let layout = Layout(state)
    drawTitle(state, into: &frame)
    drawCanvas(state, layout: layout, into: &frame)
    if let panel = layout.panel { drawPanel(state, rect: panel, into: &frame) }
    drawSlider(state, layout: layout, into: &frame)
    drawToolBar(state, layout: layout, into: &frame)
    drawStatus(state, layout: layout, into: &frame)
    if let popup = state.popup { drawPopup(popup, state: state, layout: layout, into: &frame) }
    return frame
}

private func drawTitle(_ state: StudioState, into frame: inout Frame) {
    frame.fill(CellRect(x: 0, y: 0, width: state.size.columns, height: 1), style: .title)
    var parts = ["MonoPix Studio"]
    if let doc = state.document {
        var image = "\(state.current + 1)/\(state.documents.count) \(doc.name)"
        if let i = doc.image { image += " \(i.width)×\(i.height)" }
        parts.append(image)
    }
    parts.append(state.viewMode == .sideBySide ? "input │ output" : state.viewMode.label)
    parts.append(state.rendererName)
    frame.put(" " + parts.joined(separator: " │ "), column: 0, row: 0, style: .title)
}

private func drawCanvas(_ state: StudioState, layout: Layout, into frame: inout Frame) {
    let c = layout.canvas
    guard let doc = state.document else { return }
    let note: String?
    if let e = doc.loadError { note = e } else if doc.image == nil { note = "loading \(doc.name)…" } else { note = nil }
    if let note {
        frame.put(note, column: c.x + max(0, (c.width - note.count) / 2), row: c.y + c.height / 2,
                  style: doc.loadError != nil ? .error : .dimmed, width: c.width)
        return
    }
    let panes = Layout.panes(state, layout: layout)
    var markers: [CanvasMarker] = []
    if let p = state.cursor {
        markers.append(CanvasMarker(x: p.x, y: p.y, radius: state.tool == .brush || state.tool == .eraser ? state.brush.diameter / 2 : 0))
    }
    if let a = state.anchor { markers.append(CanvasMarker(x: a.x, y: a.y, radius: 0)) }
    frame.canvas = CanvasSpec(rect: c, pixelsPerCell: state.graphics.pixelsPerCell(canvas: CellSize(columns: c.width, rows: c.height)),
                              panes: panes, overlayOpacity: state.overlayOpacity, range: state.range, level: doc.level,
                              markers: markers, document: state.current, maskVersion: doc.maskVersion,
                              outputVersion: doc.outputVersion,
                              detailRegion: doc.detail?.outputVersion == doc.outputVersion ? doc.detail?.region : nil)
}

/// A level as the slider shows it.
func formatLevel(_ v: Float) -> String { String(format: "%.2f", v) }

private func drawSlider(_ state: StudioState, layout: Layout, into frame: inout Frame) {
    let row = layout.sliderRow
    let track = layout.sliderTrack
    let level = state.document?.level ?? state.range.lowerBound
    let lo = state.range.lowerBound, hi = state.range.upperBound
    frame.put(Layout.sliderLabel, column: 0, row: row, style: .dimmed)
    frame.put("├", column: track.x - 1, row: row, style: .dimmed)
    let f = hi > lo ? (level - lo) / (hi - lo) : 0
    let thumb = min(track.width - 1, max(0, Int(f * Float(track.width))))
    for i in 0..<track.width {
        let ch: Character = i == thumb ? "●" : (i < thumb ? "━" : "─")
        frame.put(String(ch), column: track.x + i, row: row, style: i <= thumb ? .accent : .dimmed)
    }
    // Where 0 (keep the source) and 1 (full translation) fall, when they are inside a wider range.
    for mark in [Float(0), 1] where mark > lo && mark < hi {
        let i = Int((mark - lo) / (hi - lo) * Float(track.width))
        if i != thumb, i < track.width { frame.put("┼", column: track.x + i, row: row, style: i < thumb ? .accent : .dimmed) }
    }
    frame.put("┤", column: track.x + track.width, row: row, style: .dimmed)
    let tail = " \(formatLevel(level))  [\(formatLevel(lo)), \(formatLevel(hi))]"
    frame.put(tail, column: track.x + track.width + 1, row: row, style: .plain)
}

private func drawToolBar(_ state: StudioState, layout: Layout, into frame: inout Frame) {
    var parts: [String] = []
    switch state.tool {
    case .brush, .eraser:
        parts.append("\(state.tool.rawValue) ⌀\(Int(state.brush.diameter)) hard \(String(format: "%.1f", state.brush.hardness))")
    case .fill: parts.append("fill")
    case .gradient: parts.append(state.anchor == nil ? "gradient" : "gradient: end point?")
    case .strips: parts.append((state.anchor == nil ? "strips" : "strips: end point?") + " ×\(state.stripCount)")
    }
    parts.append("value \(formatLevel(state.primaryValue)) ⇄ \(formatLevel(state.secondaryValue))")
    if let doc = state.document {
        parts.append("zoom \(Int((doc.transform.zoom * 100).rounded()))%")
        if let p = state.cursor, let m = doc.mask {
            let x = min(max(Int(p.x), 0), m.width - 1), y = min(max(Int(p.y), 0), m.height - 1)
            parts.append("cursor \(x),\(y) = \(formatLevel(m.value(x: x, y: y, level: doc.level)))" + (state.penDown ? " pen down" : ""))
        }
        let steps = doc.history.undoSteps.count
        if steps > 0 || !doc.history.redoSteps.isEmpty { parts.append("undo \(steps) redo \(doc.history.redoSteps.count)") }
    }
    if state.viewMode == .overlay { parts.append("overlay \(Int((state.overlayOpacity * 100).rounded()))%") }
    frame.put(parts.joined(separator: " │ "), column: 0, row: layout.toolRow)
}

private func drawStatus(_ state: StudioState, layout: Layout, into frame: inout Frame) {
    let row = layout.statusRow
    var right = state.graphics.mode.name
    if state.panel.focused { right = "PANEL KEYS (Esc: back) · " + right }
    right += " · ? help"
    // The hint stays while there is room for a message beside it.
    if let hint = state.graphics.hint, state.size.columns - right.count - hint.count - 3 >= 30 { right = hint + " · " + right }
    let left: String
    var style = CellStyle.dimmed
    if let e = state.export {
        let p = e.progress
        left = e.cancelling ? "export: cancelling…"
            : "export \(p?.completed ?? 0)/\(p?.total ?? 0)\(p.map { " " + $0.message } ?? "") · Ctrl+E cancels"
        style = .accent
    } else if let m = state.message {
        left = m.text
        style = m.isError ? .error : .plain
    } else if let early = state.render.shownEarly, state.render.pendingID != nil {
        left = "blend of cached levels \(milliseconds(early.seconds)) · exact frame rendering…"
    } else if state.render.pendingID != nil {
        left = state.render.pendingIsPreview ? "rendering preview…" : "rendering…"
    } else if let e = state.render.error {
        left = "render failed: \(e)"
        style = .error
    } else if let s = state.render.lastSeconds {
        left = (state.render.lastBlended ? "blend of cached levels \(milliseconds(s)) (release for exact)"
            : "\(state.render.lastExact ? "exact" : "preview") \(String(format: "%.2f", s)) s") + proxyLabel(state)
    } else {
        left = ""
    }
    let width = state.size.columns
    frame.put(left, column: 0, row: row, style: style, width: max(0, width - right.count - 1))
    frame.put(right, column: max(0, width - right.count - 1), row: row, style: .dimmed)
}

/// " · proxy WxH of WxH" when the frame on screen was computed on a proxy of a larger photo (exports are full size),
/// and that the view is at full resolution once a detail render covers it.
private func proxyLabel(_ state: StudioState) -> String {
    guard let d = state.document, let image = d.image, let out = d.output,
          out.width < image.width || out.height < image.height else { return "" }
    if d.detail?.outputVersion == d.outputVersion, state.wantedDetail() == nil {
        return " · full resolution in view (proxy \(out.width)x\(out.height) of \(image.width)x\(image.height))"
    }
    return " · proxy \(out.width)x\(out.height) of \(image.width)x\(image.height)"
}

private func drawPopup(_ popup: Popup, state: StudioState, layout: Layout, into frame: inout Frame) {
    let cols = state.size.columns, rows = state.size.rows
    let rect: CellRect
    switch popup {
    case .help:
        rect = CellRect(x: 0, y: 1, width: cols, height: rows - 2)
        frame.box(rect, title: "keys — any key closes")
        drawHelp(in: CellRect(x: rect.x + 2, y: rect.y + 1, width: rect.width - 4, height: rect.height - 2), into: &frame)
    case .exportChoice:
        let lines = ["c / Enter  the current image", "f          every image of the folder", "Esc        cancel", "",
                     "Trajectory (11 levels), the spatial result and the mask,", "written to monopix-export/ beside the images."]
        rect = CellRect(x: max(0, (cols - 62) / 2), y: max(1, rows / 2 - 5), width: min(cols, 62), height: lines.count + 2)
        frame.box(rect, title: "export")
        for (i, l) in lines.enumerated() { frame.put(l, column: rect.x + 2, row: rect.y + 1 + i, style: .popup, width: rect.width - 4) }
    case .prompt(let purpose, let text):
        let w = min(cols - 4, max(50, text.count + 6))
        rect = CellRect(x: (cols - w) / 2, y: max(1, rows / 2 - 2), width: w, height: 4)
        frame.box(rect, title: purpose.rawValue + " (.png or .npy; Enter, Esc)")
        let visible = String(text.suffix(w - 5))
        frame.put(visible + "▏", column: rect.x + 2, row: rect.y + 1, style: .selected, width: w - 4)
        frame.put("16-bit PNG keeps the range in monopix:min/max", column: rect.x + 2, row: rect.y + 2, style: .popup, width: w - 4)
    }
    frame.popupOverCanvas = rect.intersects(layout.canvas) || (frame.strip.map { rect.intersects($0.rect) } ?? false)
}

/// The keymap, in as many columns as it takes; long descriptions wrap under themselves.
private func drawHelp(in rect: CellRect, into frame: inout Frame) {
    let labelWidth = 12
    func layout(columns: Int) -> [(String, CellStyle)] {
        let textWidth = max(10, rect.width / columns - 1 - labelWidth)
        var lines: [(String, CellStyle)] = []
        var group = ""
        for entry in Keymap.helpLines {
            if entry.group != group {
                if !lines.isEmpty { lines.append(("", .popup)) }
                lines.append((entry.group, .popupTitle))
                group = entry.group
            }
            var label = entry.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
            for part in wrap(entry.help, width: textWidth) {
                lines.append((label + part, .popup))
                label = String(repeating: " ", count: labelWidth)
            }
        }
        return lines
    }
    // As few columns as fit the height.
    var columns = 1
    var lines = layout(columns: 1)
    while lines.count > columns * rect.height, columns < 4 {
        columns += 1
        lines = layout(columns: columns)
    }
    let perColumn = max(1, (lines.count + columns - 1) / columns)
    let width = rect.width / columns
    for (i, (text, style)) in lines.enumerated() {
        frame.put(text, column: rect.x + (i / perColumn) * width, row: rect.y + i % perColumn, style: style, width: width - 1)
    }
}

/// Words of `text` in lines of at most `width` characters.
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        if !line.isEmpty, line.count + 1 + word.count > width {
            lines.append(line)
            line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
    }
    if !line.isEmpty || lines.isEmpty { lines.append(line) }
    return lines
}

private func milliseconds(_ s: Double) -> String { String(format: "%.0f ms", max(s * 1000, 1)) }
