import XCTest
@testable import Monitoring

final class LogLineParserTests: XCTestCase {
    func testOurJSONLines() throws {
        let r = try XCTUnwrap(LogLineParser.parse(#"{"step": 1200, "epoch": 3, "time": 1700000000.5, "lr": 0.0001, "G_A": 0.25, "D_A": 0.5}"#))
        XCTAssertEqual(r.format, .jsonLines)
        XCTAssertEqual(r.step, 1200)
        XCTAssertEqual(r.epoch, 3)
        XCTAssertEqual(r.time, 1700000000.5)
        XCTAssertEqual(r.terms.map(\.name), ["D_A", "G_A", "lr"])
        XCTAssertEqual(r.value("G_A"), 0.25)
        let nested = try XCTUnwrap(LogLineParser.parse(#"{"step": 2, "loss": {"cyc": 1.5}}"#))
        XCTAssertEqual(nested.value("loss/cyc"), 1.5)
        let python = try XCTUnwrap(LogLineParser.parse(#"{"step": 3, "G_A": NaN, "D_A": 0.1}"#))
        XCTAssertTrue(python.value("G_A")!.isNaN)
    }

    func testReferenceConsoleLines() throws {
        let line = "epoch [3/200]  loss: D_A=0.123  G_A=0.456  Cyc_A=1.5  MONO_GA2B=0.002"
        let r = try XCTUnwrap(LogLineParser.parse(line))
        XCTAssertEqual(r.format, .referenceConsole)
        XCTAssertEqual(r.epoch, 3)
        XCTAssertEqual(r.epochCount, 200)
        XCTAssertEqual(r.terms, [MetricTerm("D_A", 0.123), MetricTerm("G_A", 0.456), MetricTerm("Cyc_A", 1.5),
                                 MetricTerm("MONO_GA2B", 0.002)])
    }

    func testCycleGANLossLog() throws {
        let line = "(epoch: 3, iters: 400, time: 0.123, data: 0.004) D_A: 0.123 G_A: 0.456 cycle_A: 1.234 idt_A: 0.300 "
        let r = try XCTUnwrap(LogLineParser.parse(line))
        XCTAssertEqual(r.format, .cycleGANLossLog)
        XCTAssertEqual(r.epoch, 3)
        XCTAssertEqual(r.iteration, 400)
        XCTAssertEqual(r.terms.map(\.name), ["D_A", "G_A", "cycle_A", "idt_A"])
        XCTAssertEqual(r.value("cycle_A"), 1.234)
    }

    func testGarbageLinesAreIgnored() {
        let garbage = [
            "", "   ", "================ Training Loss (Mon Mar  4 10:00:00 2024) ================",
            "Traceback (most recent call last):", #"{"step": 3, "G_A": 0."#, "{not json}", "[1, 2, 3]",
            "epoch [x/200]  loss: D_A=0.1", "epoch [3/200]  nothing here", "epoch [3/200]  loss: D_A=abc",
            "(epoch: 3, iters: oops) D_A: 0.1", "(epoch: 3, iters: 4) no numbers here", "learning rate = 0.0001",
            // Counters Int cannot hold trapped in Int(_:) (found by fuzzing).
            "(epoch: nan, iters: 4) D_A: 0.1", "(epoch: 3, iters: -inf) D_A: 0.1", "(epoch: 1e300, iters: 4) D_A: 0.1",
            "(epoch: 2.5, iters: 4) D_A: 0.1",
        ]
        for line in garbage {
            XCTAssertNil(LogLineParser.parse(line), "should ignore: \(line)")
        }
    }
}
