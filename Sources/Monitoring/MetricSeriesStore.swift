/// One measured value of one series.
public struct MetricPoint: Sendable, Equatable {
    /// The record's step, or its position in the log when the log states no global step.
    public var step: Double
    /// Seconds: the record's own `time` when it has one, else when the line arrived.
    public var time: Double
    public var value: Double

    public init(step: Double, time: Double, value: Double) {
        self.step = step
        self.time = time
        self.value = value
    }
}

/// The series read so far from one or more logs, by name, in the order names first appeared (which keeps
/// each series' colour stable while the log grows).
public struct MetricSeriesStore: Sendable, Equatable {
    public private(set) var names: [String] = []
    public private(set) var points: [String: [MetricPoint]] = [:]
    /// The latest record, for the panel's "epoch e/N, step s" header.
    public private(set) var latest: MetricRecord?
    public private(set) var recordCount = 0
    /// Records read per log, for logs without a step of their own.
    private var countByPrefix: [String: Int] = [:]
    /// Keeps memory bounded on very long runs: past this, every other point of a series is dropped.
    public var maxPointsPerSeries: Int

    public init(maxPointsPerSeries: Int = 20_000) {
        self.maxPointsPerSeries = maxPointsPerSeries
    }

    /// Adds a record's terms; `prefix` tells apart series of different files; `arrival` is the wall time
    /// used when the record carries none.
    public mutating func append(_ record: MetricRecord, prefix: String = "", arrival: Double) {
        let position = countByPrefix[prefix, default: 0]
        countByPrefix[prefix] = position + 1
        let step = Double(record.step ?? position)
        let time = record.time ?? arrival
        recordCount += 1
        latest = record
        for term in record.terms {
            let name = prefix + term.name
            if points[name] == nil { names.append(name); points[name] = [] }
            points[name]!.append(MetricPoint(step: step, time: time, value: term.value))
            if points[name]!.count > maxPointsPerSeries {
                points[name] = points[name]!.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            }
        }
    }

    /// Forgets the series whose names start with `prefix` (a log was truncated: a new run began).
    public mutating func removeSeries(prefix: String) {
        let gone = names.filter { $0.hasPrefix(prefix) }
        for name in gone { points[name] = nil }
        names.removeAll { $0.hasPrefix(prefix) }
        countByPrefix[prefix] = nil
        if names.isEmpty { latest = nil; recordCount = 0 }
    }
}
