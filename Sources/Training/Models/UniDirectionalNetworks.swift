/// The networks and optimizers of the uni-directional models (low light, noise): one generator, a global
/// discriminator and, with `patchD`, a patch discriminator, initialised in the reference's order (the order the
/// seeded initializer draws in, which the PyTorch parity fixtures depend on).
struct UniDirectionalNetworks {
    let generator: TrainableGenerator
    let discriminator: Discriminator
    let patchDiscriminator: Discriminator?
    let optimizerG: Adam, optimizerD: Adam
    let optimizerPatch: Adam?

    /// `patchName` is the patch discriminator's name in checkpoints and optimizer state (`D_P`, or `D_PA` for noise).
    init(_ settings: TrainingSettings, seed: UInt64, patchName: String) {
        var initializer = ParameterInitializer(seed: seed)
        generator = TrainableGenerator(options: settings.generator, initializer: &initializer)
        discriminator = Discriminator(baseWidth: settings.discriminatorWidth, layerCount: settings.discriminatorLayers,
                                      norm: settings.discriminatorNorm, initializer: &initializer)
        patchDiscriminator = settings.patchD
            ? Discriminator(baseWidth: settings.discriminatorWidth, layerCount: settings.patchDiscriminatorLayers,
                            norm: settings.discriminatorNorm, initializer: &initializer)
            : nil
        let lr = Float(settings.learningRate)
        optimizerG = Adam(networks: [("G_A", generator.parameters)], learningRate: lr, beta1: settings.beta1)
        optimizerD = Adam(networks: [("D_A", discriminator.parameters)], learningRate: lr, beta1: settings.beta1)
        optimizerPatch = patchDiscriminator.map { Adam(networks: [(patchName, $0.parameters)], learningRate: lr, beta1: settings.beta1) }
    }
}
