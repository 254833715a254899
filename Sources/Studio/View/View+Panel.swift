import Foundation
import Monitoring

/// The training panel: a header, the loss curves in braille, a legend, and the chart settings.
func drawPanel(_ state: StudioState, rect: CellRect, into frame: inout Frame) {
    let p = state.panel
    frame.fill(CellRect(x: rect.x - 1, y: rect.y, width: 1, height: rect.height), "│", style: .dimmed)
    var row = rect.y
    let title = "training" + (p.sources.isEmpty ? "" : " — " + p.sources.joined(separator: ", "))
    frame.put(title, column: rect.x, row: row, style: p.focused ? .selected : .accent, width: rect.width)
    row += 1
    var header: [String] = []
    if let r = p.store.latest {
        if let e = r.epoch { header.append("epoch \(e)" + (r.epochCount.map { "/\($0)" } ?? "")) }
        if let s = r.step { header.append("step \(s)") } else if let i = r.iteration { header.append("iters \(i)") }
    }
    header.append("\(p.store.recordCount) records")
    frame.put(header.joined(separator: " · "), column: rect.x, row: row, style: .dimmed, width: rect.width)
    row += 1
    if let line = trainingLine(p) {
        let failed: Bool = { if case .failed = p.run { return true } else { return false } }()
        frame.put(line, column: rect.x, row: row, style: failed ? .error : .dimmed, width: rect.width)
        row += 1
    }

    guard !p.store.names.isEmpty else {
        let note = p.sources.isEmpty ? "no log followed: start with --watch FILE" : "waiting for lines…"
        frame.put(note, column: rect.x, row: row + 1, style: .dimmed, width: rect.width)
        return
    }
    let legendRows = min(4, (p.store.names.count + 1) / 2)
    // The run's newest strip, at the foot of the panel, when there is room for it beside a chart.
    let stripFile = p.strip.flatMap { name in p.training.map { $0.runDirectory.appendingPathComponent("strips").appendingPathComponent(name).path } }
    let stripRows = stripFile != nil && rect.height >= 18 ? min(8, rect.height / 4) : 0
    let chartHeight = rect.height - (row - rect.y) - legendRows - 1 - (stripRows > 0 ? stripRows + 1 : 0)
    let lines = chartLines(p)
    if chartHeight >= 4 {
        let grid = renderLineChart(lines, width: rect.width, height: chartHeight,
                                   style: ChartStyle(yScale: p.yScale, ignoreOutliers: p.ignoreOutliers),
                                   xLabel: xLabelFormatter(p))
        for r in 0..<grid.height {
            for c in 0..<grid.width {
                let colour = grid.colours[r * grid.width + c]
                let style = colour >= 0 ? CellStyle(foreground: .index(CellStyle.series[colour % CellStyle.series.count])) : .dimmed
                frame[rect.x + c, row + r] = Cell(character: grid.characters[r * grid.width + c], style: style)
            }
        }
        if grid.hiddenNonPositive > 0 {
            frame.put("\(grid.hiddenNonPositive) values ≤ 0 not shown", column: rect.x + rect.width - 26, row: row, style: .dimmed)
        }
    }
    row += max(0, chartHeight)

    // Legend: two entries per row, "n ● name last".
    let half = rect.width / 2
    for (i, name) in p.store.names.prefix(2 * legendRows).enumerated() {
        let hidden = p.hidden.contains(name)
        let last = p.store.points[name]?.last?.value
        let text = "\(i + 1 < 10 ? String(i + 1) : " ") \(hidden ? "○" : "●") \(name) \(last.map(compactNumber) ?? "")"
        let style = hidden ? CellStyle.dimmed : CellStyle(foreground: .index(CellStyle.series[i % CellStyle.series.count]))
        frame.put(text, column: rect.x + (i % 2) * half, row: row + i / 2, style: style, width: half - 1)
    }
    row += legendRows
    let settings = "smooth \(p.smoothing) · \(p.yScale == .log ? "log-y" : "linear") · "
        + "\(p.ignoreOutliers ? "5–95%" : "full range") · x: \(p.xAxis.rawValue)"
    frame.put(settings, column: rect.x, row: row, style: .dimmed, width: rect.width)
    if stripRows > 0, let stripFile, let name = p.strip {
        frame.put("newest strip \(name) (levels left to right)", column: rect.x, row: row + 1, style: .dimmed, width: rect.width)
        let area = CellRect(x: rect.x, y: row + 2, width: rect.width, height: stripRows)
        frame.strip = StripSpec(rect: area, pixelsPerCell: state.graphics.pixelsPerCell(canvas: CellSize(columns: area.width, rows: area.height)),
                                file: stripFile)
    }
}

/// The visible series as chart lines: smoothed, on the chosen x-axis, coloured by their first-seen order.
func chartLines(_ p: PanelState) -> [ChartLine] {
    let t0 = p.store.points.values.compactMap { $0.first?.time }.min() ?? 0
    return p.store.names.enumerated().compactMap { i, name in
        guard !p.hidden.contains(name), let points = p.store.points[name], !points.isEmpty else { return nil }
        let ys = debiasedEMA(points.map(\.value), weight: p.smoothing)
        let xs: [Double] = points.map {
            switch p.xAxis {
            case .step: return $0.step
            case .relativeTime: return $0.time - t0
            case .wallTime: return $0.time
            }
        }
        return ChartLine(name: name, colour: i, points: Array(zip(xs, ys)).map { (x: $0.0, y: $0.1) })
    }
}

func xLabelFormatter(_ p: PanelState) -> (Double) -> String {
    switch p.xAxis {
    case .step:
        return { compactNumber($0) }
    case .relativeTime:
        return { s in
            let t = Int(s.rounded())
            return t >= 3600 ? "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" : "\(t / 60)m\(String(format: "%02d", t % 60))s"
        }
    case .wallTime:
        return { s in
            let f = DateFormatter()
            f.dateFormat = "HH:mm:ss"
            return s > 1e9 ? f.string(from: Date(timeIntervalSince1970: s)) : compactNumber(s)
        }
    }
}

/// The run started from the panel: its status and newest strip, or what is missing to start one (nil: training
/// from the studio is not offered).
func trainingLine(_ p: PanelState) -> String? {
    guard let setup = p.training else { return nil }
    if p.run == .idle, let missing = setup.missing { return missing }
    var parts = ["run '\(setup.name)': \(p.run.label)"]
    if let strip = p.strip { parts.append("strip \(strip)") }
    if p.run == .idle || !p.run.isActive { parts.append("T Enter start, R resume") } else { parts.append("T Enter stop") }
    return parts.joined(separator: " · ")
}
