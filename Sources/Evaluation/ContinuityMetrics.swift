/// The reference's continuity metrics (Evaluations/Eval_Continuity.py) over trajectories of 11 levels.
public struct ContinuityMetrics: Codable, Equatable, Sendable {
    public var range: Double
    public var smoothness: Double
    public var absoluteLinearity: Double
    public var relativeLinearity: Double

    enum CodingKeys: String, CodingKey {
        case range = "Range", smoothness = "Smoothness"
        case absoluteLinearity = "AbsoluteLinearity", relativeLinearity = "RelativeLinearity"
    }

    /// Per image: `adj[i] = d(level i+1, level i)` (10 values) and `against1[i] = d(input, level i)` (11 values).
    public struct Distances: Codable, Equatable, Sendable {
        public var adj: [Double]
        public var against1: [Double]
        public init(adj: [Double], against1: [Double]) { self.adj = adj; self.against1 = against1 }
    }

    /// Range = mean(max − min of against1); Smoothness = mean(max adj); AbsoluteLinearity = mean Pearson(0…10, against1);
    /// RelativeLinearity = mean Pearson(0…9, cumsum(adj)). Images are taken in key order, as the reference sorts them.
    public init(distances: [String: Distances]) {
        let items = distances.keys.sorted().map { distances[$0]! }
        func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
        range = mean(items.map { ($0.against1.max() ?? 0) - ($0.against1.min() ?? 0) })
        smoothness = mean(items.map { $0.adj.max() ?? 0 })
        absoluteLinearity = mean(items.map { pearson((0..<$0.against1.count).map(Double.init), $0.against1) })
        relativeLinearity = mean(items.map { d in
            var s = 0.0
            return pearson((0..<d.adj.count).map(Double.init), d.adj.map { s += $0; return s })
        })
    }
}

/// Pearson's correlation coefficient (numpy's corrcoef[0, 1]); NaN when either side is constant.
public func pearson(_ a: [Double], _ b: [Double]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices { let da = a[i] - ma, db = b[i] - mb; sab += da * db; saa += da * da; sbb += db * db }
    return sab / (saa * sbb).squareRoot()
}
