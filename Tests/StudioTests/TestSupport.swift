import Engine
import Foundation
import ImageIO
@testable import Studio

/// A deterministic in-memory renderer for tests: brightens each pixel by its intensity
/// (`out = in + intensity · (255 − in)`), so the result tells exactly which intensity reached which pixel.
/// A test double: it has nothing to do with the real engine.
struct BrighteningTestRenderer: FrameRenderer {
    var description: String { "test renderer" }

    func render(image: RGBImage, intensity: IntensityMap) async throws -> RGBImage {
        var out = image
        for i in 0..<(image.width * image.height) {
            let a = min(max(intensity.values[i], 0), 1)
            for c in 0..<3 {
                let v = Float(image.pixels[3 * i + c])
                out.pixels[3 * i + c] = UInt8(v + a * (255 - v))
            }
        }
        return out
    }
}

/// A state with one loaded gray image of the given size, in a terminal of `columns` x `rows` half-block cells.
func makeState(width: Int = 40, height: Int = 20, columns: Int = 100, rows: Int = 30,
               documents: Int = 1, range: ClosedRange<Float> = 0...1) -> StudioState {
    let urls = (0..<documents).map { URL(fileURLWithPath: "/tmp/img\($0).png") }
    var s = StudioState(documents: urls, range: range, rendererName: "test renderer")
    _ = s.handle(.resize(CellSize(columns: columns, rows: rows)))
    _ = s.handle(.graphics(GraphicsInfo(mode: .blocks(trueColour: true), cellPixels: PixelSize(width: 10, height: 20),
                                        pixelMouse: false, reason: "test")))
    _ = s.start()
    _ = s.handle(.imageLoaded(document: 0, image: RGBImage(width: width, height: height, red: 100, green: 100, blue: 100),
                              sessionMask: nil))
    return s
}

extension StudioState {
    /// Feeds events, returning all commands.
    @discardableResult
    mutating func send(_ events: Event...) -> [Command] {
        events.flatMap { handle($0) }
    }

    @discardableResult
    mutating func press(_ keys: String...) -> [Command] {
        keys.flatMap { handle(.key(Key($0))) }
    }

    var mask: MaskLayer { documents[current].mask! }
    var level: Float { documents[current].level }

    /// The cell showing image pixel (x, y) in the first pane.
    func cell(forImageX x: Float, y: Float) -> (column: Int, row: Int) {
        let vp = Layout.panes(self, layout: Layout(self))[0].viewport
        let v = vp.viewPoint(imageX: x, imageY: y)
        return (vp.rect.x + Int(v.x / vp.pixelsPerCell.x), vp.rect.y + Int(v.y / vp.pixelsPerCell.y))
    }
}

func mouse(_ kind: MouseEvent.Kind, _ cell: (column: Int, row: Int), button: MouseEvent.Button = .left) -> Event {
    .mouse(MouseEvent(kind: kind, button: button, column: cell.column, row: cell.row))
}

extension Command {
    var renderRequest: RenderRequest? { if case .render(let r) = self { return r }; return nil }
}
