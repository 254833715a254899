/// The normalisation layer after each generator convolution (`Gnorm` in the configs).
public enum NormKind: String, Sendable, CaseIterable {
    case identity = "Identity"
    /// Affine batch norm, eps 1e-5; inference uses the running statistics.
    case batch
    /// Instance norm without affine parameters, eps 1e-5, biased variance.
    case instance
}

/// Everything that shapes the generator `sid_unet_resize_ctrl` (the reference's `Unet_resize_conv`).
public struct GeneratorOptions: Sendable, Hashable {
    /// An intensity channel follows the RGB input: a scalar per image or a per-pixel map.
    public var relativeControl = true
    /// A gray attention map is the last input channel and multiplies the deep features and skips.
    public var selfAttention = false
    /// With attention: the latent is multiplied by the attention map too.
    public var timesResidual = false
    /// A standard-normal noise channel follows the intensity (the noise-generation task).
    public var useNoise = false
    /// Level 1's first activation is LReLU → 1x1 conv → LReLU (helps instance norm keep the intensity).
    public var transcode = false
    public var useAveragePooling = false
    /// tanh on the latent before the skip connection.
    public var tanhLatent = false
    /// tanh on the output (the reference's default; the low-light model turns it off).
    public var tanhOutput = true
    /// `output = latent + skip * input`; 0 disables the skip connection.
    public var skip: Float = 1
    public var norm: NormKind = .identity
    /// Scales every width (32…512) so that small models can be trained and shipped; 1 is the reference.
    public var widthMultiplier: Double = 1

    public init() {}

    /// The reference's widths at levels 1…5, scaled.
    public var widths: [Int] { [32, 64, 128, 256, 512].map(scaled) }

    /// Rounds half to even, as Python's `round` does in the PyTorch fixtures and checkpoints.
    public func scaled(_ width: Int) -> Int { max(1, Int((Double(width) * widthMultiplier).rounded(.toNearestOrEven))) }

    /// RGB + intensity + noise + gray, in that order.
    public var inputChannels: Int { 3 + (relativeControl ? 1 : 0) + (useNoise ? 1 : 0) + (selfAttention ? 1 : 0) }
}

extension GeneratorOptions {
    /// The generator options a configuration implies.
    public init(config: MonoPixConfig) throws {
        self.init()
        let netG = config.string("which_model_netG")
        guard netG == "sid_unet_resize_ctrl" || netG == "sid_unet_resize" else {
            throw ConfigError.unsupported(file: config.source, key: "which_model_netG", value: netG,
                                          expected: "sid_unet_resize_ctrl (the MonoPix generator)")
        }
        relativeControl = config.flag("IsRelativeCtrl")
        selfAttention = config.flag("self_attention")
        timesResidual = config.flag("times_residual")
        useNoise = config.flag("UseNoise")
        transcode = config.flag("transcode")
        useAveragePooling = config.flag("use_avgpool")
        tanhLatent = config.flag("tanh")
        tanhOutput = config.flag("out_tanh")
        skip = Float(config.number("skip"))
        let gnorm = config.string("Gnorm")
        guard let n = NormKind.allCases.first(where: { $0.rawValue.lowercased() == gnorm.lowercased() }) else {
            throw ConfigError.unsupported(file: config.source, key: "Gnorm", value: gnorm,
                                          expected: "Identity, batch or instance")
        }
        norm = n
        let mult = config.number("ngf_mult")
        guard mult > 0, mult <= 8 else {
            throw ConfigError.unsupported(file: config.source, key: "ngf_mult", value: "\(mult)", expected: "a number in (0, 8]")
        }
        widthMultiplier = mult
    }
}
