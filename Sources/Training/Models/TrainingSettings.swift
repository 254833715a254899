import Model

/// The options of a MonoPix config that the training step reads, typed once (reference: `options/*.py`).
struct TrainingSettings {
    var model: String
    var generator: GeneratorOptions
    var discriminatorNorm: NormKind
    /// ndf (64) scaled by `ngf_mult`.
    var discriminatorWidth: Int
    var discriminatorLayers: Int
    var patchDiscriminatorLayers: Int
    var learningRate: Double
    var beta1: Float
    var epochsConstant: Int
    var epochsDecay: Int
    var lambdaA: Float, lambdaB: Float
    var lambdaMono: Float, lambdaDf: Float, lambdaRes: Float
    var margin: Float
    var computeDDf: Bool, computeGDf: Bool
    var gradClip: Float
    var pseudoBestLevel: Float
    var poolSize: Int
    /// `IP_MONO`: the image pools keep contrastive pairs together.
    var pairPool: Bool
    var monoIdentity: Bool
    /// `monoidt_joint` (ours): the level-0 anchor rows share the generator's main forward pass (and its batch norm).
    var monoIdentityJoint: Bool
    /// `monoidt_eval` (ours): the anchor's own pass uses batch norm's running statistics and does not update them.
    var monoIdentityEval: Bool
    /// `c1_power` (ours): c1 = u^c1Power for u ~ U(0, 1).
    var c1Power: Float
    /// `c1_max` (ours): c1 = c1Max · u^c1Power.
    var c1Max: Float
    /// `content_l1` and `content_pool` (ours): see `Losses.standardizedContent`.
    var contentWeight: Float
    var contentPool: Int
    /// `paired_l1` (ours): weight of `Losses.pairedBlend` against `train{paired_target}` (0: off).
    var pairedWeight: Float
    var sameLevel: Bool
    var patchD: Bool
    var patchCount: Int
    var patchSize: Int
    var patchVGG: Bool
    var patchDTimes2: Bool
    var vggWeight: Float
    var vggPath: String
    var vggChoose: String
    var vggMean: Bool
    var vggMaxPooling: Bool
    var vggInstanceNorm: Bool
    var saveD: Bool
    /// `which_res_loss` of the noise model's colour term.
    var residualLoss: String

    static let supportedModels = ["cycleCtrl", "cycleCtrl_lowlight", "cycleCtrl_noise"]

    init(config c: MonoPixConfig) throws {
        model = c.string("model")
        guard Self.supportedModels.contains(model) else {
            throw TrainingError.unsupportedModel(file: c.source, model: model, supported: Self.supportedModels)
        }
        generator = try GeneratorOptions(config: c)
        let dnorm = c.string("Dnorm")
        guard let dn = NormKind.allCases.first(where: { $0.rawValue.lowercased() == dnorm.lowercased() }) else {
            throw TrainingError.unsupportedOption(file: c.source, key: "Dnorm", value: dnorm, expected: "Identity, batch or instance")
        }
        discriminatorNorm = dn
        let netD = c.string("which_model_netD")
        guard netD == "basic" else {
            throw TrainingError.unsupportedOption(file: c.source, key: "which_model_netD", value: netD, expected: "basic (the PatchGAN)")
        }
        guard !c.flag("no_lsgan") else {
            throw TrainingError.unsupportedOption(file: c.source, key: "no_lsgan", value: "1", expected: "0 (MonoPix trains with LSGAN)")
        }
        discriminatorWidth = generator.scaled(c.int("ndf"))
        discriminatorLayers = c.int("n_layers_D")
        patchDiscriminatorLayers = c.int("n_layers_patchD")
        for (key, v) in [("n_layers_D", discriminatorLayers), ("n_layers_patchD", patchDiscriminatorLayers)] where v < 1 {
            throw TrainingError.unsupportedOption(file: c.source, key: key, value: "\(v)", expected: "at least 1")
        }
        learningRate = c.number("lr")
        beta1 = Float(c.number("beta1"))
        epochsConstant = c.int("niter")
        epochsDecay = c.int("niter_decay")
        lambdaA = Float(c.number("lambda_A")); lambdaB = Float(c.number("lambda_B"))
        lambdaMono = Float(c.number("lambda_mono")); lambdaDf = Float(c.number("lambda_df"))
        lambdaRes = Float(c.number("lambda_res"))
        margin = Float(c.number("margin"))
        computeDDf = c.flag("cal_D_Df"); computeGDf = c.flag("cal_G_Df")
        gradClip = Float(c.number("grad_clip"))
        pseudoBestLevel = Float(c.number("pseudo_best_enlvl"))
        poolSize = c.int("pool_size")
        pairPool = c.flag("IP_MONO")
        monoIdentity = c.flag("monoidt")
        monoIdentityJoint = c.flag("monoidt_joint")
        monoIdentityEval = c.flag("monoidt_eval")
        if monoIdentityJoint && monoIdentityEval {
            throw TrainingError.unsupportedOption(file: c.source, key: "monoidt_eval", value: "1", expected: "0 with monoidt_joint (one or the other)")
        }
        c1Power = Float(c.number("c1_power"))
        guard c1Power > 0 else {
            throw TrainingError.unsupportedOption(file: c.source, key: "c1_power", value: "\(c1Power)", expected: "a positive number (1: the reference)")
        }
        c1Max = Float(c.number("c1_max"))
        guard c1Max > 0 else {
            throw TrainingError.unsupportedOption(file: c.source, key: "c1_max", value: "\(c1Max)", expected: "a positive number (1: the reference)")
        }
        contentWeight = Float(c.number("content_l1"))
        contentPool = c.int("content_pool")
        guard contentWeight >= 0 else {
            throw TrainingError.unsupportedOption(file: c.source, key: "content_l1", value: "\(contentWeight)", expected: "at least 0 (0: off)")
        }
        guard contentPool >= 1 else {
            throw TrainingError.unsupportedOption(file: c.source, key: "content_pool", value: "\(contentPool)", expected: "at least 1")
        }
        pairedWeight = Float(c.number("paired_l1"))
        guard pairedWeight >= 0 else {
            throw TrainingError.unsupportedOption(file: c.source, key: "paired_l1", value: "\(pairedWeight)", expected: "at least 0 (0: off)")
        }
        if pairedWeight > 0 && model != "cycleCtrl_lowlight" {
            throw TrainingError.unsupportedOption(file: c.source, key: "paired_l1", value: "\(pairedWeight)",
                                                  expected: "0 for \(model) (the paired term is the low-light model's)")
        }
        if pairedWeight > 0 && c.string("paired_target").isEmpty {
            throw TrainingError.unsupportedOption(file: c.source, key: "paired_target", value: "",
                                                  expected: "the dataset suffix of the photos the dark images came from (e.g. A_Clean for trainA_Clean) when paired_l1 > 0")
        }
        sameLevel = c.flag("use_samelvl")
        patchD = c.flag("patchD")
        patchCount = c.int("patchD_3")
        patchSize = c.int("patchSize")
        patchVGG = c.flag("patch_vgg")
        patchDTimes2 = c.flag("D_P_times2")
        vggWeight = Float(c.number("vgg"))
        vggPath = c.string("vgg_path")
        vggChoose = c.string("vgg_choose")
        vggMean = c.flag("vgg_mean")
        vggMaxPooling = c.flag("vgg_maxpooling")
        vggInstanceNorm = !c.flag("no_vgg_instance")
        saveD = c.flag("saveD")
        residualLoss = c.string("which_res_loss")
        if c.string("which_direction") != "AtoB" {
            throw TrainingError.unsupportedOption(file: c.source, key: "which_direction", value: c.string("which_direction"),
                                                  expected: "AtoB (swap source_dataset and target_dataset instead)")
        }
        if model == "cycleCtrl" && generator.selfAttention {
            throw TrainingError.unsupportedOption(file: c.source, key: "self_attention", value: "1",
                                                  expected: "0 for cycleCtrl (the reference's cycle model has no gray input)")
        }
        if model == "cycleCtrl_noise" && !generator.useNoise {
            throw TrainingError.unsupportedOption(file: c.source, key: "UseNoise", value: "0", expected: "1 for cycleCtrl_noise")
        }
        if patchD && patchSize < 8 {
            throw TrainingError.unsupportedOption(file: c.source, key: "patchSize", value: "\(patchSize)", expected: "at least 8")
        }
    }

    /// The learning rate during 1-based `epoch`: the reference lowers it by lr / niter_decay after every epoch past
    /// `niter` (train.py, `update_learning_rate`), so epoch e uses lr * (1 - max(0, e - niter - 1) / niter_decay).
    func learningRate(epoch: Int) -> Double {
        guard epochsDecay > 0 else { return learningRate }
        let decayed = max(0, epoch - epochsConstant - 1)
        return learningRate * max(0, 1 - Double(decayed) / Double(epochsDecay))
    }
}
