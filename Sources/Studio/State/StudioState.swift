import Foundation
import ImageIO
import Monitoring

/// The tools of the mask painter.
enum Tool: String, CaseIterable, Codable, Sendable {
    case brush, eraser, fill, gradient, strips
}

/// One image of the folder with everything the user did to it.
struct Document: Sendable {
    let url: URL
    var name: String { url.lastPathComponent }
    /// Loaded on demand; only the current image and its neighbours stay in memory.
    var image: RGBImage?
    var loadError: String?
    var loading = false
    /// What was painted (nil until the image's size is known, and again after a blank mask was let go).
    var mask: MaskLayer?
    /// The mask was let go of because it was blank (so the session's file for it is stale, not authoritative).
    var maskKnownBlank = false
    /// The global level: what unpainted pixels get.
    var level: Float
    var history = UndoHistory()
    var transform = ViewTransform()
    var output: RGBImage?
    /// Bumped by every change of the mask or the level (renders, the canvas and the session key on it).
    var maskVersion = 0
    /// The request id of the output shown (0: none).
    var outputVersion = 0
    /// Part of the output at full resolution when it came from a proxy and the view is zoomed in (of
    /// `outputVersion`; nil otherwise).
    var detail: DetailFrame?
}

/// A stroke or a drag in progress.
enum Drag: Sendable {
    case paint(Stroke, pane: Int)
    case slider
    case wipe
    case pan(lastColumn: Int, lastRow: Int, lastPixel: (x: Int, y: Int)?)
    /// A gradient or strips being dragged out from `anchor`.
    case line(pane: Int)
}

/// A small window over the canvas.
enum Popup: Equatable, Sendable {
    case help
    /// Ctrl+E: export the current image or the whole folder.
    case exportChoice
    /// A one-line editor: `purpose` says what Enter does with `text`.
    case prompt(PromptPurpose, text: String)
}

enum PromptPurpose: String, Equatable, Sendable {
    case saveMask = "save mask to"
    case loadMask = "load mask from"
}

/// The training panel.
struct PanelState: Sendable {
    enum XAxis: String, CaseIterable, Sendable {
        case step, relativeTime = "relative time", wallTime = "wall time"
    }

    var visible = false
    /// Keys go to the panel (series toggles, smoothing…) until Esc.
    var focused = false
    var store = MetricSeriesStore()
    var smoothing = 0.6
    var yScale = YScale.linear
    var ignoreOutliers = true
    var xAxis = XAxis.step
    var hidden: Set<String> = ["lr"]
    /// Label of each followed log (file name), in order.
    var sources: [String] = []
    /// How to start `monopix train` (nil: not offered, e.g. in tests that do not set it).
    var training: TrainingSetup?
    /// The run started from the panel.
    var run = TrainingRun.idle
    /// The newest trajectory strip of that run (`strips/step_*.png`), by file name.
    var strip: String?
    var trainingRunning: Bool { run.isActive }

    static let smoothingChoices: [Double] = [0, 0.6, 0.9, 0.99]
}

/// The latest render asked for and what came back.
struct RenderStatus: Sendable {
    /// The request whose result will be accepted; older results are stale.
    var pendingID: Int?
    var pendingDocument = 0
    var pendingIsPreview = false
    /// A preview was wanted while another preview was still running: send one when it returns.
    var previewWanted = false
    var previewWantedIsScrub = false
    /// What is on screen while the exact frame of the pending request is still coming (a blend of cached levels).
    var shownEarly: RenderResult?
    var lastSeconds: Double?
    var lastExact = false
    /// What the last exact request asked the proxy of a large photo to hold (`StudioState.displayPixels`).
    var lastDisplayPixels: Int?
    /// The last frame shown was blended from frames cached at nearby levels, not rendered.
    var lastBlended = false
    var error: String?
}

struct ExportStatus: Equatable, Sendable {
    var id: Int
    var scope: ExportRequest.Scope
    var progress: ExportProgress?
    var cancelling = false
}

/// The whole studio as a value: what `update` transforms and `view` draws.
struct StudioState: Sendable {
    // Configuration.
    var range: ClosedRange<Float>
    var rendererName: String
    /// False when no engine is wired in: the studio still paints and saves masks, and shows the input.
    var rendererAvailable = true
    var sessionEnabled = true

    // Images.
    var documents: [Document]
    var current = 0

    // Canvas.
    var viewMode = ViewMode.output
    /// The view to go back to when the quick-mask overlay is switched off.
    var viewBeforeOverlay = ViewMode.output
    var overlayOpacity: Float = 0.5
    var wipe: Float = 0.5

    // Painting.
    var tool = Tool.brush
    var brush = BrushSettings()
    /// The painted value and the other one (`x` swaps them); gradients go from the first to the second.
    var primaryValue: Float
    var secondaryValue: Float
    var stripCount = 5
    /// Keyboard painting: the cursor in image pixels, and whether moving it paints.
    var cursor: (x: Float, y: Float)?
    var penDown = false
    /// The first point of a gradient or strips, waiting for the second.
    var anchor: (x: Float, y: Float)?
    var drag: Drag?

    // Terminal.
    var size = CellSize(columns: 80, rows: 24)
    var graphics = GraphicsInfo.blocksDefault

    // Panels and popups.
    var popup: Popup?
    var panel = PanelState()

    // Effects in flight.
    var render = RenderStatus()
    var export: ExportStatus?
    var nextID = 1

    // Messages and time.
    var message: (text: String, isError: Bool, until: Double)?
    var now: Double = 0
    /// When the session last changed without being saved (nil: saved).
    var sessionDirtySince: Double?
    var quitting = false
    /// `q` while a run is going asks first: `q` again stops it and quits, Esc stays.
    var confirmingQuit = false

    init(documents urls: [URL], range: ClosedRange<Float>, rendererName: String, initialLevel: Float? = nil) {
        self.range = range
        self.rendererName = rendererName
        let level = initialLevel ?? min(max(1, range.lowerBound), range.upperBound)
        documents = urls.map { Document(url: $0, level: level) }
        primaryValue = range.upperBound
        secondaryValue = range.lowerBound
    }

    var document: Document? { documents.indices.contains(current) ? documents[current] : nil }

    /// The canvas needs one cell of margin and room for the bars.
    static let minimumSize = CellSize(columns: 60, rows: 16)
    var isTooSmall: Bool { size.columns < Self.minimumSize.columns || size.rows < Self.minimumSize.rows }

    mutating func makeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    mutating func say(_ text: String, isError: Bool = false, seconds: Double = 4) {
        message = (text, isError, now + seconds)
    }

    mutating func markSessionDirty() {
        if sessionDirtySince == nil { sessionDirtySince = now }
    }

    /// The fine and coarse slider steps.
    var fineStep: Float { (range.upperBound - range.lowerBound) / 100 }
    var coarseStep: Float { (range.upperBound - range.lowerBound) / 10 }

    func clampToRange(_ v: Float) -> Float { min(max(v, range.lowerBound), range.upperBound) }
}
