import Engine
import Foundation
import ImageIO

/// Part of a proxied photo rendered at full resolution: what the view shows when zoomed in past the proxy's
/// resolution. It belongs to one shown frame (`outputVersion`) and goes when that frame is replaced.
struct DetailFrame: Sendable {
    var image: RGBImage
    /// Where `image` sits in the photo, in photo pixels.
    var region: PixelRect
    var outputVersion: Int
}

/// A full-resolution render of `region` for the frame `outputVersion` of document `document`.
struct DetailRequest: Sendable {
    var document: Int
    var outputVersion: Int
    var region: PixelRect
    /// The photo and what was painted on it (NaN follows `level`).
    var subject: ScrubSubject
    var level: Float

    /// The same render wanted again: the photo, its frame and the region.
    func isSameWork(as other: DetailRequest) -> Bool {
        document == other.document && outputVersion == other.outputVersion && region == other.region
    }
}

extension StudioState {
    /// How far beyond the view a detail render reaches on each side (a fraction of the view), so that a small pan
    /// stays sharp without a new render.
    static let detailMargin: Float = 0.25

    /// What the studio should render at full resolution now, or nil: the exact frame shown came from a proxy, the
    /// view is zoomed in far enough that the proxy's pixels are larger than the screen's, and no detail frame of
    /// this frame covers the view yet. The runtime asks after every change (and waits for the view to settle).
    func wantedDetail() -> DetailRequest? {
        guard let doc = document, let image = doc.image, let output = doc.output, render.pendingID == nil,
              render.lastExact, !render.lastBlended, output.width < image.width || output.height < image.height,
              viewMode != .input else { return nil }
        guard let vp = outputViewport else { return nil }
        // Until a proxy pixel covers more than a view pixel the proxy shows all the view can.
        guard vp.scale * Float(image.width) / Float(output.width) > 1 else { return nil }
        let view = vp.visibleImageRect(margin: 0)
        guard !view.isEmpty else { return nil }
        if let d = doc.detail, d.outputVersion == doc.outputVersion, d.region.contains(view) { return nil }
        return DetailRequest(document: current, outputVersion: doc.outputVersion, region: vp.visibleImageRect(margin: Self.detailMargin),
                             subject: ScrubSubject(image: image, painted: doc.mask?.values), level: doc.level)
    }

    /// The viewport of the pane that shows the output (the right one side by side).
    var outputViewport: Viewport? { Layout.panes(self, layout: Layout(self)).last?.viewport }

    mutating func detailRendered(_ frame: DetailFrame, document index: Int) -> [Command] {
        guard documents.indices.contains(index), documents[index].outputVersion == frame.outputVersion else { return [] }
        documents[index].detail = frame
        return []
    }
}

/// The sizes the studio asks of proxies (public for the bench, which drives the engine as the studio does).
public enum ProxySizes {
    /// The fewest pixels a proxy of a large photo is given: below this a network's output loses what the view
    /// still shows at a small zoom, and it costs little. A photo's first frame comes at this size.
    public static let minimumPixels = 512 * 384
}

extension StudioState {
    static let minimumDisplayPixels = ProxySizes.minimumPixels

    /// How many pixels a proxy of the photo needs to show the canvas at its resolution: the photo at the view's
    /// scale (sixel: the canvas's pixel size; half blocks: two pixels a cell), the zoom rounded up to a power of
    /// two so that zooming re-renders at each doubling rather than at every step. The renderer caps it by memory;
    /// beyond, the view's region is rendered at full resolution (`wantedDetail`).
    func displayPixels() -> Int? {
        guard let doc = document, let image = doc.image, let vp = outputViewport else { return nil }
        let zoom = max(1, doc.transform.zoom)
        let scale = vp.fitScale * Float(pow(2, (log2(zoom) - 1e-4).rounded(.up)))
        let pixels = Double(scale) * Double(scale) * Double(image.width) * Double(image.height)
        return Int(min(Double(image.width * image.height), max(Double(Self.minimumDisplayPixels), pixels)))
    }

    /// After a change of the view (zoom, terminal size, graphics): a new exact frame when the proxy shown is
    /// coarser than the view now needs, unless the renderer could not give more last time (its memory cap).
    mutating func renderIfTheProxyIsTooCoarse() -> [Command] {
        guard let doc = document, let image = doc.image, let output = doc.output, render.pendingID == nil,
              output.width < image.width, let wanted = displayPixels(), let asked = render.lastDisplayPixels else { return [] }
        let shown = output.width * output.height
        // Less than was asked for: the renderer's cap, which a new request would not raise.
        let capped = Double(shown) < 0.8 * Double(asked)
        guard !capped, Double(wanted) > 1.2 * Double(shown) else { return [] }
        return requestRender(preview: false)
    }
}
