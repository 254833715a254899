import Foundation

/// Reads one line of any of the three training logs the studio follows; lines that are none of them
/// (banners, blank lines, tracebacks, half-written JSON) give `nil`.
public enum LogLineParser {
    /// Fields of our JSON lines that place a record rather than measure something.
    static let placementKeys: Set<String> = ["step", "epoch", "time", "iter", "iters", "iteration"]

    public static func parse(_ line: String) -> MetricRecord? {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("{") { return parseJSON(text) }
        if text.hasPrefix("(epoch:") { return parseCycleGAN(text) }
        if text.contains("epoch [") { return parseReferenceConsole(text) }
        return nil
    }

    // MARK: metrics.jsonl

    static func parseJSON(_ text: String) -> MetricRecord? {
        guard let object = jsonObject(text) ?? jsonObject(quotingNonFinite(text)) else { return nil }
        var record = MetricRecord(format: .jsonLines, terms: [])
        record.step = integer(object["step"])
        record.epoch = integer(object["epoch"])
        record.iteration = integer(object["iter"] ?? object["iters"] ?? object["iteration"])
        record.time = number(object["time"])
        // JSONSerialization loses the key order; sorted names keep series colours stable between runs.
        for key in object.keys.sorted() where !placementKeys.contains(key) {
            appendTerms(named: key, from: object[key], into: &record.terms)
        }
        return record.terms.isEmpty && record.step == nil ? nil : record
    }

    private static func jsonObject(_ text: String) -> [String: Any]? {
        guard let data = text.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Python's `json.dumps` writes bare `NaN` and `Infinity`, which strict JSON rejects: quote them.
    static func quotingNonFinite(_ text: String) -> String {
        text.replacingOccurrences(of: "-Infinity", with: "\"-inf\"")
            .replacingOccurrences(of: "Infinity", with: "\"inf\"")
            .replacingOccurrences(of: "NaN", with: "\"nan\"")
    }

    /// Numbers become terms; one level of nested objects (`{"loss": {"G_A": 0.3}}`) becomes `loss/G_A`.
    private static func appendTerms(named name: String, from value: Any?, into terms: inout [MetricTerm]) {
        if let v = number(value) {
            terms.append(MetricTerm(name, v))
        } else if let nested = value as? [String: Any] {
            for key in nested.keys.sorted() {
                if let v = number(nested[key]) { terms.append(MetricTerm("\(name)/\(key)", v)) }
            }
        }
    }

    private static func number(_ value: Any?) -> Double? {
        if let n = value as? NSNumber { return n.doubleValue }
        if let s = value as? String { return parseNumber(s) }   // "nan", "inf" written as strings
        return nil
    }

    private static func integer(_ value: Any?) -> Int? {
        guard let v = number(value), v.isFinite, v == v.rounded(), abs(v) < 1e15 else { return nil }
        return Int(v)
    }

    // MARK: the reference's console

    /// `epoch [3/200]  loss: D_A=0.123  G_A=0.456 …`
    static func parseReferenceConsole(_ text: String) -> MetricRecord? {
        guard let open = text.range(of: "epoch ["),
              let close = text[open.upperBound...].firstIndex(of: "]") else { return nil }
        let counter = text[open.upperBound..<close].split(separator: "/", omittingEmptySubsequences: false)
        guard counter.count == 2, let epoch = Int(counter[0].trimmingCharacters(in: .whitespaces)),
              let count = Int(counter[1].trimmingCharacters(in: .whitespaces)) else { return nil }
        guard let lossLabel = text.range(of: "loss:", range: close..<text.endIndex) else { return nil }
        var terms: [MetricTerm] = []
        for token in text[lossLabel.upperBound...].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }) {
            let parts = token.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, let v = parseNumber(String(parts[1])) else { continue }
            terms.append(MetricTerm(String(parts[0]), v))
        }
        guard !terms.isEmpty else { return nil }
        return MetricRecord(format: .referenceConsole, epoch: epoch, epochCount: count, terms: terms)
    }

    // MARK: CycleGAN loss_log.txt

    /// `(epoch: 3, iters: 400, time: 0.123, data: 0.004) D_A: 0.123 G_A: 0.456 …`
    static func parseCycleGAN(_ text: String) -> MetricRecord? {
        guard let close = text.firstIndex(of: ")") else { return nil }
        let header = text[text.index(after: text.startIndex)..<close]
        var fields: [String: Double] = [:]
        for pair in header.split(separator: ",") {
            let kv = pair.split(separator: ":", maxSplits: 1)
            guard kv.count == 2, let v = parseNumber(kv[1].trimmingCharacters(in: .whitespaces)) else { return nil }
            fields[kv[0].trimmingCharacters(in: .whitespaces)] = v
        }
        // parseNumber takes nan and inf (loss values need them); a counter must be a whole number an Int holds.
        guard let epoch = fields["epoch"].flatMap(Self.count), let iters = fields["iters"].flatMap(Self.count) else { return nil }
        let tokens = text[text.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
        var terms: [MetricTerm] = []
        var i = 0
        while i + 1 < tokens.count {
            let name = tokens[i]
            if name.hasSuffix(":"), name.count > 1, let v = parseNumber(String(tokens[i + 1])) {
                terms.append(MetricTerm(String(name.dropLast()), v))
                i += 2
            } else {
                i += 1
            }
        }
        guard !terms.isEmpty else { return nil }
        return MetricRecord(format: .cycleGANLossLog, epoch: epoch, iteration: iters, terms: terms)
    }

    private static func count(_ v: Double) -> Int? {
        v.isFinite && v == v.rounded() && abs(v) < 1e15 ? Int(v) : nil
    }

    /// A decimal number, or nan / inf as Python prints them.
    static func parseNumber(_ s: String) -> Double? {
        switch s.lowercased() {
        case "nan": return .nan
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default:
            guard let first = s.first, first.isNumber || first == "-" || first == "+" || first == "." else { return nil }
            return Double(s)
        }
    }
}
