import XCTest
import CGemm
@testable import Kernels

extension XCTestCase {
    /// Runs `body` once per ISA level at or below the one the run started on (all of this CPU's by default; only
    /// baseline under `MONOPIX_ISA=baseline`), widest first, with every C kernel capped at it; restores the level.
    /// A failure inside is followed by one naming the level, so a narrow path's failure is not taken for the wide one's.
    func forEachISA(file: StaticString = #filePath, line: UInt = #line, _ body: (ISA) throws -> Void) rethrows {
        let saved = ISA.current
        defer { ISA.current = saved }
        for isa in ISA.runnable where isa.rawValue <= saved.rawValue {
            ISA.current = isa
            let before = testRun?.totalFailureCount ?? 0
            try body(isa)
            if (testRun?.totalFailureCount ?? 0) > before {
                XCTFail("the failures above ran with MONOPIX_ISA=\(isa)", file: file, line: line)
            }
        }
    }
}

/// The switch itself: each level reaches every C target's dispatch and the reports.
final class ISATests: XCTestCase {
    func testEveryLevelCapsEachKernelFamily() {
        var seen: [ISA] = []
        forEachISA { isa in
            seen.append(isa)
            XCTAssertEqual(ISA.current, isa)
            XCTAssertEqual(GEMM.nativeAvailable, isa != .baseline)
            if isa != .avx512 { XCTAssertFalse(GEMM.bf16Available) }
            XCTAssertEqual(Convolution.winogradLanes, [ISA.baseline: 4, .avx2: 8, .avx512: 16][isa])
            let expectedNR: Int32 = [ISA.baseline: 0, .avx2: 16, .avx512: 32][isa]!
            XCTAssertEqual(mpx_gemm_nr(), expectedNR)
            let saved = GEMM.backend
            GEMM.backend = .native
            defer { GEMM.backend = saved }
            XCTAssertTrue(isa == .baseline ? GEMM.describe(.f32).hasPrefix("openblas") : GEMM.describe(.f32) == "native \(isa) f32",
                          GEMM.describe(.f32))
        }
        XCTAssertEqual(seen.first, ISA.current)
        #if arch(x86_64)
        // The CI machines and this project's are x86-64 with AVX2 at least: every path below the top ran.
        if ISA.current == ISA.supported { XCTAssertEqual(seen.last, .baseline) }
        #endif
    }

    func testACapAboveTheCPUChangesNothing() {
        let saved = ISA.current
        defer { ISA.current = saved }
        ISA.current = .avx512
        XCTAssertEqual(ISA.current, ISA.supported)
        XCTAssertEqual(ISA.baseline.description, "baseline")
        XCTAssertEqual(ISA.avx2.description, "avx2")
        XCTAssertEqual(ISA.avx512.description, "avx512")
    }
}
