import Foundation
import ImageIO

/// A picture the terminal layer draws over cells the text frame leaves blank: the canvas, or the training run's
/// newest strip.
enum PictureSpec: Equatable, Sendable {
    case canvas(CanvasSpec)
    case strip(StripSpec)

    enum Slot: Hashable, Sendable { case canvas, strip }

    var slot: Slot {
        switch self {
        case .canvas: return .canvas
        case .strip: return .strip
        }
    }

    var pixelSize: (width: Int, height: Int) {
        switch self {
        case .canvas(let c): return (c.pixelWidth, c.pixelHeight)
        case .strip(let s): return (s.pixelWidth, s.pixelHeight)
        }
    }

    var rect: CellRect {
        switch self {
        case .canvas(let c): return c.rect
        case .strip(let s): return s.rect
        }
    }
}

/// Gets the pictures onto the screen: composites and encodes off the UI thread (only the newest of each is worth
/// encoding), and hands the bytes back to be written after ncurses' own update, inside one synchronized-output
/// frame. Keeps the last bytes of each to emit them again when ncurses has painted over them (popup closed,
/// Ctrl-L, resize).
final class GraphicsPresenter: @unchecked Sendable {
    /// An encoded picture, ready to write.
    struct Encoded: Sendable {
        var spec: PictureSpec
        var mode: GraphicsMode
        var bytes: [UInt8]
        var seconds: Double
        /// kitty through shared memory: the picture itself, put into a fresh object each time it is written (the
        /// terminal unlinks the object it read; a frame dropped as stale leaves nothing behind).
        var picture: RGBImage? = nil
    }

    private typealias Job = (spec: PictureSpec, sources: CanvasSources?, mode: GraphicsMode)
    private let queue = DispatchQueue(label: "monopix.studio.canvas", qos: .userInitiated)
    private let lock = NSLock()
    /// The jobs waiting for the worker (each replaced by newer ones of its slot), and whether the worker is busy.
    private var waiting: [PictureSpec.Slot: Job] = [:]
    private var busy = false
    private let deliver: @Sendable (Encoded) -> Void

    // UI-thread state, per slot.
    private var requested: [PictureSpec.Slot: (spec: PictureSpec, mode: GraphicsMode)] = [:]
    private var shown: [PictureSpec.Slot: Encoded] = [:]
    private var needsReemit: Set<PictureSpec.Slot> = []
    /// What each slot last wrote to the terminal, while it is there.
    private var placed: [PictureSpec.Slot: (mode: GraphicsMode, rect: CellRect)] = [:]

    init(deliver: @escaping @Sendable (Encoded) -> Void) {
        self.deliver = deliver
    }

    /// After each text frame: what to write now (or nil). `damaged` says ncurses repainted the pictures' cells.
    func present(_ frame: Frame, sources: CanvasSources?, mode: GraphicsMode, damaged: Bool) -> [UInt8]? {
        var wanted: [PictureSpec] = []
        if let canvas = frame.canvas, sources != nil { wanted.append(.canvas(canvas)) }
        if let strip = frame.strip { wanted.append(.strip(strip)) }
        var out: [UInt8] = []
        for slot in [PictureSpec.Slot.canvas, .strip] {
            if damaged { needsReemit.insert(slot) }
            guard let spec = wanted.first(where: { $0.slot == slot }) else {
                out += takeDown(slot)
                requested[slot] = nil
                shown[slot] = nil
                continue
            }
            if frame.popupOverCanvas {
                // The popup's cells replace part of the picture (a kitty image floats above them: it goes); the
                // picture comes back when the popup closes.
                out += takeDown(slot)
                needsReemit.insert(slot)
                continue
            }
            if let r = requested[slot], r.spec == spec, r.mode == mode {
                if needsReemit.contains(slot), let s = shown[slot], s.spec == spec, s.mode == mode {
                    needsReemit.remove(slot)
                    out += wrap(s)
                }
                continue
            }
            // A kitty image left where the picture no longer is would float over the text drawn there meanwhile.
            if let p = placed[slot], p.mode != mode || p.rect != spec.rect { out += takeDown(slot) }
            requested[slot] = (spec, mode)
            schedule((spec, slot == .canvas ? sources : nil, mode))
        }
        return out.isEmpty ? nil : out
    }

    /// An encoded picture arrived from the worker: the bytes to write, unless a newer one was asked for since
    /// (or a popup covers the pictures now).
    func accept(_ encoded: Encoded, popupOverCanvas: Bool) -> [UInt8]? {
        let slot = encoded.spec.slot
        guard let r = requested[slot], r.spec == encoded.spec, r.mode == encoded.mode else { return nil }
        shown[slot] = encoded
        if popupOverCanvas { needsReemit.insert(slot); return nil }
        needsReemit.remove(slot)
        return wrap(encoded)
    }

    /// Removes every picture the terminal keeps by itself (kitty images), for a resize and for quitting; the
    /// pictures are sent again at the next frame.
    func takeDownAll() -> [UInt8] {
        let out = takeDown(.canvas) + takeDown(.strip)
        needsReemit = [.canvas, .strip]
        return out
    }

    /// The bytes that remove `slot`'s picture when the terminal keeps it apart from the text (kitty); nothing for
    /// sixel, iTerm2 and blocks, whose pixels the text written over them replaces.
    private func takeDown(_ slot: PictureSpec.Slot) -> [UInt8] {
        guard let p = placed.removeValue(forKey: slot), p.mode.isKitty else { return [] }
        let delete = KittyGraphics.delete(id: Self.imageID(slot))
        return p.mode.passthrough == nil ? delete : TmuxPassthrough.wrap(delete)
    }

    static func imageID(_ slot: PictureSpec.Slot) -> Int {
        switch slot {
        case .canvas: return KittyGraphics.canvasImageID
        case .strip: return KittyGraphics.stripImageID
        }
    }

    private func schedule(_ job: Job) {
        lock.lock()
        waiting[job.spec.slot] = job
        let start = !busy
        busy = true
        lock.unlock()
        if start { queue.async { self.work() } }
    }

    private func work() {
        while true {
            lock.lock()
            guard let slot = waiting.keys.first(where: { $0 == .canvas }) ?? waiting.keys.first, let job = waiting.removeValue(forKey: slot) else {
                busy = false
                lock.unlock()
                return
            }
            lock.unlock()
            let t0 = DispatchTime.now().uptimeNanoseconds
            let picture = Self.picture(job.spec, job.sources)
            let shared = job.mode.isKittyThroughSharedMemory
            let bytes = shared ? [] : picture.map { Self.encode($0, at: job.spec.rect, slot: job.spec.slot, mode: job.mode) } ?? []
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            deliver(Encoded(spec: job.spec, mode: job.mode, bytes: bytes, seconds: seconds, picture: shared ? picture : nil))
        }
    }

    /// Composite (or read) the picture, then encode it for the mode, positioned at its top-left cell.
    static func render(_ spec: PictureSpec, _ sources: CanvasSources?, mode: GraphicsMode) -> [UInt8] {
        guard let image = picture(spec, sources) else { return [] }
        return encode(image, at: spec.rect, slot: spec.slot, mode: mode)
    }

    /// The canvas composited, or the strip read and laid out; nil when there is nothing to show.
    static func picture(_ spec: PictureSpec, _ sources: CanvasSources?) -> RGBImage? {
        switch spec {
        case .canvas(let canvas):
            guard let sources else { return nil }
            return Compositor.compose(canvas, sources)
        case .strip(let strip):
            return strip.picture()
        }
    }

    /// The picture's bytes in `mode`, placed at `rect`'s top-left cell (through tmux's passthrough when the mode
    /// says so).
    static func encode(_ image: RGBImage, at rect: CellRect, slot: PictureSpec.Slot, mode: GraphicsMode) -> [UInt8] {
        let move = Array(TerminalSequence.moveTo(column: rect.x, row: rect.y).utf8)
        func positioned(_ payload: [UInt8], _ pane: TmuxPane?) -> [UInt8] {
            guard let pane else { return move + payload }
            return TmuxPassthrough.wrap(payload, column: rect.x, row: rect.y, pane: pane)
        }
        switch mode {
        case .blocks(let trueColour):
            return HalfBlocks.encode(image, column: rect.x, row: rect.y, trueColour: trueColour)
        case .sixel(let registers, _, let pane):
            var colours = registers
            while true {
                guard let sixel = try? SixelEncoder.encode(image, colours: colours) else { return [] }
                let bytes = positioned(sixel, pane)
                // tmux drops a passthrough longer than its buffer; a sixel is pixel-exact (no scaling it down), but
                // fewer colours make it much shorter: halve them, down to 16.
                guard pane != nil, bytes.count > TmuxPassthrough.limit, colours > 16 else { return bytes }
                colours /= 2
            }
        case .kitty(nil, true):
            let move = Array(TerminalSequence.moveTo(column: rect.x, row: rect.y).utf8)
            guard let name = KittySharedMemory.store(image.pixels) else {
                return encode(image, at: rect, slot: slot, mode: .kitty())   // no object: the pixels go directly
            }
            return move + KittySharedMemory.place(name: name, width: image.width, height: image.height, id: imageID(slot),
                                                  columns: rect.width, rows: rect.height)
        case .kitty(let pane, _):
            // zlib level 1: a frame per scrub step, where level 6 costs several times the time for ~10% fewer bytes.
            guard let png = try? PNGFile.encode(image, level: 1) else { return [] }
            let codes = KittyGraphics.place(png: png, id: imageID(slot), columns: rect.width, rows: rect.height)
            // Through tmux every chunk carries the cursor move: the image is placed where the cursor is when its
            // last chunk arrives, and tmux may move the outer cursor between two chunks.
            guard let pane else { return move + codes.joined() }
            return codes.flatMap { TmuxPassthrough.wrap($0, column: rect.x, row: rect.y, pane: pane) }
        case .iterm(let pane):
            var picture = image
            while true {
                guard let png = try? PNGFile.encode(picture, level: 1) else { return [] }
                let bytes = positioned(ITermImages.inline(png: png, columns: rect.width, rows: rect.height), pane)
                // tmux drops a passthrough longer than its buffer: a smaller picture, which the terminal scales to
                // the same cells, still shows (softer). Outside tmux there is no such limit.
                guard pane != nil, bytes.count > TmuxPassthrough.limit, picture.width > 16, picture.height > 16 else { return bytes }
                picture = picture.resized(width: picture.width * 3 / 4, height: picture.height * 3 / 4)
            }
        }
    }

    /// Save the cursor, draw, restore it and hide it again (some terminals show it after an image).
    private func wrap(_ e: Encoded) -> [UInt8] {
        placed[e.spec.slot] = (e.mode, e.spec.rect)
        let bytes = e.picture.map { Self.encode($0, at: e.spec.rect, slot: e.spec.slot, mode: e.mode) } ?? e.bytes
        return Array((TerminalSequence.saveCursor + TerminalSequence.hideCursor).utf8) + bytes
            + Array((TerminalSequence.resetAttributes + TerminalSequence.restoreCursor + TerminalSequence.hideCursor).utf8)
    }
}
