import Foundation
import ImageIO
@testable import Studio

// A session.json as the studio reads it at start: decoded, restored into a state with two images, then drawn,
// zoomed and painted on, so values the file carries (zoom, centre, brush, levels) reach the code that uses them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = fuzzFile(data, size, name: "session.json")
    guard let file = SessionStore(directory: url.deletingLastPathComponent()).load() else { return 0 }
    var s = StudioState(documents: [URL(fileURLWithPath: "/tmp/img0.png"), URL(fileURLWithPath: "/tmp/img1.png")],
                        range: 0...1, rendererName: "fuzz")
    s.restore(file)
    _ = s.handle(.resize(CellSize(columns: 100, rows: 30)))
    _ = s.handle(.graphics(.blocksDefault))
    _ = s.start()
    _ = s.handle(.imageLoaded(document: s.current, image: RGBImage(width: 40, height: 20, red: 90, green: 90, blue: 90),
                              sessionMask: nil))
    _ = view(s)
    for (kind, column) in [(MouseEvent.Kind.press, 30), (.drag, 34), (.drag, 40), (.release, 40)] {
        _ = s.handle(.mouse(MouseEvent(kind: kind, button: .left, column: column, row: 10)))
    }
    for key in ["+", "+", "-", "<", ">", "|"] { _ = s.handle(.key(Key(key))) }
    _ = view(s)
    return 0
}
