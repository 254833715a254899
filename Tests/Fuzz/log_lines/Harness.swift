import Foundation
import Monitoring
@testable import Training

// A training log as the studio follows it (LogFollower, LogLineParser, the series store) and as a resumed run
// reads its metrics.jsonl (MetricsLog.read).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = fuzzFile(data, size, name: "metrics.jsonl")
    let follower = LogFollower(path: url.path, maxLineBytes: 4096)
    let (lines, _) = follower.poll()
    var store = MetricSeriesStore(maxPointsPerSeries: 64)
    for line in lines {
        require(line.utf8.count <= 4096 * 3, "a line of \(line.utf8.count) bytes past the 4096-byte cap")
        if let record = LogLineParser.parse(line) { store.append(record, prefix: "log/", arrival: 0) }
        if let record = MetricsRecord(jsonLine: line) { _ = record.jsonLine }
    }
    _ = MetricsLog.read(url)
    return 0
}
