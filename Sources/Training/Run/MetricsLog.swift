import AtomicFiles
import Foundation

/// One logged training step: where it was, how fast, and every loss term under the reference's names.
/// On disk it is one flat JSON object per line of `metrics.jsonl`:
/// `{"step":40,"epoch":1,"iteration":40,"time":12.5,"lr":0.0001,"images_per_s":3.2,"D_A":0.25,"G_A":0.98,…}`.
public struct MetricsRecord: Sendable, Equatable {
    /// Optimisation steps taken since the run began (resumes continue the count).
    public var step: Int
    /// 1-based epoch and iteration within it.
    public var epoch: Int
    public var iteration: Int
    /// Seconds of training since the run began (resumes add to it).
    public var time: Double
    public var learningRate: Double
    /// Training images per second over the steps since the previous record.
    public var imagesPerSecond: Double
    /// Loss terms by the reference's names (`D_A`, `G_A`, `Cyc_A`, …, `MONO_GA2B`, …), in `lossOrder`.
    public var losses: [String: Double]
    /// The order the model lists its losses in (the console order).
    public var lossOrder: [String]

    public init(step: Int, epoch: Int, iteration: Int, time: Double, learningRate: Double, imagesPerSecond: Double,
                losses: [String: Double], lossOrder: [String]) {
        self.step = step; self.epoch = epoch; self.iteration = iteration; self.time = time
        self.learningRate = learningRate; self.imagesPerSecond = imagesPerSecond
        self.losses = losses; self.lossOrder = lossOrder
    }

    static let fixedKeys = ["step", "epoch", "iteration", "time", "lr", "images_per_s"]

    /// The JSON line (no newline), keys in a stable order: the fixed fields, then the losses in model order.
    public var jsonLine: String {
        func number(_ v: Double) -> String {
            guard v.isFinite else { return "null" }
            if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
            return "\(v)"
        }
        var parts = ["\"step\":\(step)", "\"epoch\":\(epoch)", "\"iteration\":\(iteration)", "\"time\":\(number(time))",
                     "\"lr\":\(number(learningRate))", "\"images_per_s\":\(number(imagesPerSecond))"]
        for name in lossOrder { if let v = losses[name] { parts.append("\"\(name)\":\(number(v))") } }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// Parses one line of `metrics.jsonl`; nil for a line that is not a complete record.
    public init?(jsonLine line: String) {
        guard let data = line.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let step = (object["step"] as? NSNumber)?.intValue else { return nil }
        func double(_ k: String) -> Double { (object[k] as? NSNumber)?.doubleValue ?? .nan }
        self.step = step
        epoch = (object["epoch"] as? NSNumber)?.intValue ?? 0
        iteration = (object["iteration"] as? NSNumber)?.intValue ?? 0
        time = double("time"); learningRate = double("lr"); imagesPerSecond = double("images_per_s")
        var losses: [String: Double] = [:]
        for (k, v) in object where !Self.fixedKeys.contains(k) { if let n = v as? NSNumber { losses[k] = n.doubleValue } }
        self.losses = losses
        // JSONSerialization loses key order; recover it from the line itself.
        var order: [String] = []
        var rest = Substring(line)
        while let q = rest.firstIndex(of: "\"") {
            let after = rest.index(after: q)
            guard let end = rest[after...].firstIndex(of: "\"") else { break }
            let key = String(rest[after..<end])
            if losses[key] != nil && !order.contains(key) { order.append(key) }
            rest = rest[rest.index(after: end)...]
        }
        lossOrder = order
    }

    /// The reference's console line: `epoch [3/300]  loss: D_A=0.123  G_A=0.456  …`.
    public func consoleLine(epochs: Int) -> String {
        "epoch [\(epoch)/\(epochs)]  loss: " + lossOrder.compactMap { name in
            losses[name].map { "\(name)=" + String(format: "%.3f", $0) }
        }.joined(separator: "  ")
    }
}

/// Appends records to `metrics.jsonl`, one `write` per line on a descriptor opened with O_APPEND, so a crash leaves
/// only whole lines.
final class MetricsLog {
    let url: URL
    private var descriptor: Int32

    init(url: URL) throws {
        self.url = url
        descriptor = open(url.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { throw TrainingError.cannotWrite(path: url.path, reason: String(cString: strerror(errno))) }
    }

    deinit { close(descriptor) }

    func append(_ record: MetricsRecord) throws {
        let bytes = Array((record.jsonLine + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw TrainingError.cannotWrite(path: url.path, reason: written < 0 ? String(cString: strerror(errno)) : "short write")
        }
    }

    /// Every complete record of a metrics file (a torn last line is ignored).
    static func read(_ url: URL) -> [MetricsRecord] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { MetricsRecord(jsonLine: String($0)) }
    }

    /// Drops records after `step` (written after the checkpoint a resume starts from), atomically.
    static func truncate(_ url: URL, after step: Int) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").filter { line in
            guard let r = MetricsRecord(jsonLine: String(line)) else { return false }
            return r.step <= step
        }
        let body = kept.map { $0 + "\n" }.joined()
        try atomicWrite(Data(body.utf8), to: url)
    }
}

/// Writes `data` to a temporary file beside `url`, then renames it over `url` (`AtomicFile`).
func atomicWrite(_ data: Data, to url: URL) throws {
    do { try AtomicFile.write(data, to: url) } catch let failure as AtomicFile.Failure {
        throw TrainingError.cannotWrite(path: url.path, reason: failure.reason)
    }
}
