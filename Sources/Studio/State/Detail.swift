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
    var image: RGBImage
    var mask: MaskLayer?
    var level: Float

    var subject: ScrubSubject { ScrubSubject(image: image, painted: mask?.values) }

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
        let layout = Layout(self)
        guard let pane = Layout.panes(self, layout: layout).last else { return nil }
        let vp = pane.viewport
        // Below one proxy pixel per view pixel the proxy already shows all there is to see.
        guard vp.scale * Float(output.width) / Float(image.width) > 1 else { return nil }
        let view = vp.visibleImageRect(margin: 0)
        guard !view.isEmpty else { return nil }
        if let d = doc.detail, d.outputVersion == doc.outputVersion, d.region.contains(view) { return nil }
        return DetailRequest(document: current, outputVersion: doc.outputVersion, region: vp.visibleImageRect(margin: Self.detailMargin),
                             image: image, mask: doc.mask, level: doc.level)
    }

    mutating func detailRendered(_ frame: DetailFrame, document index: Int) -> [Command] {
        guard documents.indices.contains(index), documents[index].outputVersion == frame.outputVersion else { return [] }
        documents[index].detail = frame
        return []
    }
}
