import Foundation
import XCTest
import Model

/// Used by scripts/make_checkpoint_fixtures.py: with MONOPIX_CHECKPOINT_EXPORT_DIR set, writes the fixture state
/// dict back out with our writer so the script can load it with real torch (`torch.load(weights_only=True)`).
final class CheckpointExportTests: XCTestCase {
    func testExportForTorch() throws {
        guard let folder = ProcessInfo.processInfo.environment["MONOPIX_CHECKPOINT_EXPORT_DIR"] else {
            throw XCTSkip("set MONOPIX_CHECKPOINT_EXPORT_DIR to export a .pth for the torch check")
        }
        let dict = try StateDict.load(contentsOf: CheckpointFixtures.url("state_zip.pth"))
        try dict.write(to: URL(fileURLWithPath: folder).appendingPathComponent("swift_written.pth"), format: .pytorch)
    }
}
