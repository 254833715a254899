import Model

/// Every random stream of a run is derived from the run's seed and the place it is used, so that a step's
/// randomness depends on (seed, where, step) alone: runs are reproducible, and a resumed run continues exactly,
/// whatever thread drew what first.
enum Seeds {
    enum Stream: UInt64 {
        case initialization = 0x1A17
        case data = 0xDA7A
        case step = 0x57E9
    }

    static func derive(_ seed: UInt64, _ stream: Stream, _ values: Int...) -> UInt64 {
        var rng = SplitMix64(seed: seed ^ (stream.rawValue &* 0x9E37_79B9_7F4A_7C15))
        var h = rng.next()
        for v in values {
            rng = SplitMix64(seed: h ^ UInt64(bitPattern: Int64(v)))
            h = rng.next()
        }
        return h
    }
}
