/// What a state dict's names and shapes say about the generator that wrote it (for `monopix info`).
public struct ImpliedGeneratorOptions: Sendable, CustomStringConvertible {
    public var inputChannels: Int?
    public var widthMultiplier: Double?
    public var transcode = false
    /// batch when running statistics are present; otherwise Identity or instance (the file cannot tell them apart).
    public var norm = "Identity or instance"
    public var looksLikeGenerator = false

    public init(_ stateDict: StateDict) {
        var names: [String: StoredTensor] = [:]
        for k in stateDict.keys { names[Generator.normalizedKey(k)] = stateDict[k] }
        if let w = names["conv1_1.weight"], w.shape.count == 4 {
            looksLikeGenerator = names["conv10.weight"] != nil
            inputChannels = w.shape[1]
            widthMultiplier = Double(w.shape[0]) / 32
        }
        transcode = names["LReLU1_1.1.weight"] != nil
        if names.keys.contains(where: { $0.hasPrefix("norm") && $0.hasSuffix("running_mean") }) { norm = "batch" }
    }

    public var description: String {
        guard looksLikeGenerator, let c = inputChannels, let m = widthMultiplier else {
            return "not a MonoPix generator (no conv1_1 / conv10)"
        }
        let extras: String
        switch c {
        case 3: extras = "RGB only (no intensity channel)"
        case 4: extras = "RGB + intensity"
        case 5: extras = "RGB + intensity + one of noise (UseNoise) or gray attention (self_attention)"
        case 6: extras = "RGB + intensity + noise + gray attention"
        default: extras = "\(c) input channels"
        }
        return "generator: \(extras); width multiplier \(m); norm \(norm); transcode \(transcode ? "on" : "off")"
    }
}
