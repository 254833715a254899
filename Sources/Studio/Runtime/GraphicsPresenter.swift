import Foundation
import ImageIO

/// Gets the canvas onto the screen: composites and encodes off the UI thread (only the newest frame is worth
/// encoding), and hands the bytes back to be written after ncurses' own update, inside one synchronized-output
/// frame. Keeps the last image to emit it again when ncurses has painted over it (popup closed, Ctrl-L, resize).
final class GraphicsPresenter: @unchecked Sendable {
    /// Encoded canvas, ready to write.
    struct Encoded: Sendable {
        var spec: CanvasSpec
        var mode: GraphicsMode
        var bytes: [UInt8]
        var seconds: Double
    }

    private let queue = DispatchQueue(label: "monopix.studio.canvas", qos: .userInitiated)
    private let lock = NSLock()
    /// The job waiting for the worker (replaced by newer ones), and whether the worker is busy.
    private var waiting: (CanvasSpec, CanvasSources, GraphicsMode)?
    private var busy = false
    private let deliver: @Sendable (Encoded) -> Void

    // UI-thread state.
    private var requested: (spec: CanvasSpec, mode: GraphicsMode)?
    private var shown: Encoded?
    private var needsReemit = false

    init(deliver: @escaping @Sendable (Encoded) -> Void) {
        self.deliver = deliver
    }

    /// After each text frame: what to write now (or nil). `damaged` says ncurses repainted the canvas' cells.
    func present(_ frame: Frame, sources: CanvasSources?, mode: GraphicsMode, damaged: Bool) -> [UInt8]? {
        if damaged { needsReemit = true }
        guard let spec = frame.canvas, let sources else {
            requested = nil
            shown = nil
            return nil
        }
        if frame.popupOverCanvas {
            needsReemit = true   // the popup's cells replace part of the image; it must come back when it closes
            return nil
        }
        if let r = requested, r.spec == spec, r.mode == mode {
            if needsReemit, let s = shown, s.spec == spec, s.mode == mode {
                needsReemit = false
                return wrap(s)
            }
            return nil
        }
        requested = (spec, mode)
        schedule(spec, sources, mode)
        return nil
    }

    /// An encoded canvas arrived from the worker: the bytes to write, unless a newer canvas was asked for since
    /// (or a popup covers the canvas now).
    func accept(_ encoded: Encoded, popupOverCanvas: Bool) -> [UInt8]? {
        guard let r = requested, r.spec == encoded.spec, r.mode == encoded.mode else { return nil }
        shown = encoded
        if popupOverCanvas { needsReemit = true; return nil }
        needsReemit = false
        return wrap(encoded)
    }

    private func schedule(_ spec: CanvasSpec, _ sources: CanvasSources, _ mode: GraphicsMode) {
        lock.lock()
        waiting = (spec, sources, mode)
        let start = !busy
        busy = true
        lock.unlock()
        if start { queue.async { self.work() } }
    }

    private func work() {
        while true {
            lock.lock()
            guard let job = waiting else { busy = false; lock.unlock(); return }
            waiting = nil
            lock.unlock()
            let t0 = DispatchTime.now().uptimeNanoseconds
            let bytes = Self.render(job.0, job.1, mode: job.2)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            deliver(Encoded(spec: job.0, mode: job.2, bytes: bytes, seconds: seconds))
        }
    }

    /// Composite, then encode for the mode; positioned at the canvas' top-left cell.
    static func render(_ spec: CanvasSpec, _ sources: CanvasSources, mode: GraphicsMode) -> [UInt8] {
        let image = Compositor.compose(spec, sources)
        switch mode {
        case .blocks(let trueColour):
            return HalfBlocks.encode(image, column: spec.rect.x, row: spec.rect.y, trueColour: trueColour)
        case .sixel(let registers, _):
            guard let sixel = try? SixelEncoder.encode(image, colours: registers) else { return [] }
            return Array(TerminalSequence.moveTo(column: spec.rect.x, row: spec.rect.y).utf8) + sixel
        }
    }

    /// Save the cursor, draw, restore it and hide it again (some terminals show it after an image).
    private func wrap(_ e: Encoded) -> [UInt8] {
        Array((TerminalSequence.saveCursor + TerminalSequence.hideCursor).utf8) + e.bytes
            + Array((TerminalSequence.resetAttributes + TerminalSequence.restoreCursor + TerminalSequence.hideCursor).utf8)
    }
}
