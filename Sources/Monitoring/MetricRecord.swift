/// Which writer produced a log line.
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    /// Our `metrics.jsonl`: one JSON object per line (`step`, `epoch`, `time`, `lr` and loss terms).
    case jsonLines
    /// The reference trainer's console: `epoch [e/N]  loss: NAME=value …`.
    case referenceConsole
    /// CycleGAN's `loss_log.txt`: `(epoch: 3, iters: 400, time: 0.123) D_A: 0.123 G_A: 0.456 …`.
    case cycleGANLossLog
}

/// One named value in a record, in the order the log wrote it.
public struct MetricTerm: Sendable, Equatable {
    public var name: String
    public var value: Double

    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}

/// What one log line says: where training was and the values it reported.
public struct MetricRecord: Sendable, Equatable {
    public var format: LogFormat
    /// The global optimisation step, when the log states one (ours does; the others count iterations per epoch).
    public var step: Int?
    public var epoch: Int?
    /// `N` in the reference's `epoch [e/N]`.
    public var epochCount: Int?
    /// CycleGAN's `iters`: images seen within the epoch.
    public var iteration: Int?
    /// Our `time` field: seconds (Unix time when large, else since the run started).
    public var time: Double?
    public var terms: [MetricTerm]

    public init(format: LogFormat, step: Int? = nil, epoch: Int? = nil, epochCount: Int? = nil,
                iteration: Int? = nil, time: Double? = nil, terms: [MetricTerm]) {
        self.format = format
        self.step = step
        self.epoch = epoch
        self.epochCount = epochCount
        self.iteration = iteration
        self.time = time
        self.terms = terms
    }

    public func value(_ name: String) -> Double? {
        terms.first { $0.name == name }?.value
    }
}
