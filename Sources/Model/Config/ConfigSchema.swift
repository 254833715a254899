/// Every option of the reference's `BaseOptions` / `TrainOptions` / `TestOptions` that a MonoPix config may set,
/// with the reference's default, plus our own additions (marked). Absent keys take these defaults.
enum ConfigSchema {
    static let entries: [(key: String, kind: ConfigKind, value: ConfigValue)] = [
        // Run identity and data.
        ("name", .string, .string("experiment_name")),
        ("model", .string, .string("cycle_gan")),
        ("dataset_mode", .string, .string("unaligned")),
        ("dataroot", .string, .string("")),
        ("source_dataset", .string, .string("A")),
        ("target_dataset", .string, .string("B")),
        ("checkpoints_dir", .string, .string("./checkpoints")),
        ("which_direction", .string, .string("AtoB")),
        ("which_epoch", .string, .string("latest")),
        ("resize_or_crop", .string, .string("resize")),
        ("loadSize", .int, .int(256)),
        ("fineSize", .int, .int(256)),
        ("patchSize", .int, .int(64)),
        ("batchSize", .int, .int(1)),
        ("no_flip", .flag, .bool(false)),
        ("serial_batches", .flag, .bool(false)),
        ("max_dataset_size", .number, .double(Double.infinity)),
        ("seeds", .int, .int(0)),
        ("gpu_ids", .list, .list(["0"])),
        ("nThreads", .int, .int(0)),
        ("train", .flag, .bool(false)),
        ("h5file_path", .string, .string("")),
        ("vgg_path", .string, .string("")),
        // Networks.
        ("which_model_netG", .string, .string("sid_unet_resize")),
        ("which_model_netD", .string, .string("basic")),
        ("input_nc", .int, .int(3)),
        ("output_nc", .int, .int(3)),
        ("ngf", .int, .int(64)),
        ("ndf", .int, .int(64)),
        ("n_layers_D", .int, .int(3)),
        ("n_layers_patchD", .int, .int(3)),
        ("Gnorm", .string, .string("Identity")),
        ("Dnorm", .string, .string("Identity")),
        ("IsRelativeCtrl", .flag, .bool(false)),
        ("self_attention", .flag, .bool(false)),
        ("times_residual", .flag, .bool(false)),
        ("UseNoise", .flag, .bool(false)),
        ("transcode", .flag, .bool(false)),
        ("use_avgpool", .flag, .bool(false)),
        ("tanh", .flag, .bool(false)),
        ("out_tanh", .flag, .bool(true)),
        ("skip", .number, .double(1)),
        ("vis_IN", .flag, .bool(false)),
        ("no_dropout", .flag, .bool(false)),
        // Ours: scales every generator and discriminator width, so that small models train on two cores.
        ("ngf_mult", .number, .double(1)),
        // Losses and optimisation.
        ("lr", .number, .double(0.0001)),
        ("beta1", .number, .double(0.5)),
        ("beta2", .number, .double(0.9)),
        ("niter", .int, .int(100)),
        ("niter_decay", .int, .int(100)),
        ("epoch_count", .int, .int(1)),
        ("lambda_A", .number, .double(10)),
        ("lambda_B", .number, .double(10)),
        ("lambda_mono", .number, .double(1)),
        ("lambda_df", .number, .double(0.25)),
        ("lambda_res", .number, .double(0)),
        ("margin", .number, .double(0.5)),
        ("cal_D_Df", .flag, .bool(false)),
        ("cal_G_Df", .flag, .bool(false)),
        ("grad_clip", .number, .double(0)),
        ("pseudo_best_enlvl", .number, .double(1)),
        ("pool_size", .int, .int(50)),
        ("no_lsgan", .flag, .bool(false)),
        ("monoidt", .flag, .bool(false)),
        // Ours (low-light model): the level-0 anchor's rows go through the generator in the same batch as the
        // contrastive pairs, so batch norm normalises them with mixed-level statistics, as at inference.
        ("monoidt_joint", .flag, .bool(false)),
        // Ours (low-light model): the level-0 anchor's own pass normalises with batch norm's running statistics (as
        // inference does) and leaves them alone, so the anchor trains the level 0 that inference gives.
        ("monoidt_eval", .flag, .bool(false)),
        // Ours: the contrastive pairs' first level is drawn as c1 = u^c1_power, u ~ U(0, 1) (1: the reference's
        // c1 ~ U(0, 1)); above 1 draws more pairs near level 0.
        ("c1_power", .number, .double(1)),
        // Ours: the first level of a pair ranges over [0, c1_max] (1: the reference). Above 1 the model also learns
        // the levels past the full translation (with `paired_l1`: the blend extrapolated, a brighter photo).
        ("c1_max", .number, .double(1)),
        // Ours (low-light model): weight of a content term that needs no VGG16 weights: L1 between the output and
        // the input, each standardised per image, over content_pool x content_pool blocks (0: off).
        ("content_l1", .number, .double(0)),
        ("content_pool", .int, .int(4)),
        // Ours (low-light model): a paired term for data whose dark images were made from known photos. The photo
        // each `train{source_dataset}` image came from lies under the same name in `train{paired_target}`; at level
        // c the output is pulled (L1, weight paired_l1) towards the input blended with that photo by c.
        ("paired_target", .string, .string("")),
        ("paired_l1", .number, .double(0)),
        ("use_samelvl", .flag, .bool(false)),
        ("idt_anchor", .number, .double(0)),
        ("IP_MONO", .flag, .bool(false)),
        ("which_res_loss", .string, .string("C2N")),
        ("patchD", .flag, .bool(false)),
        ("patchD_3", .int, .int(0)),
        ("patch_vgg", .flag, .bool(false)),
        ("D_P_times2", .flag, .bool(false)),
        ("vgg", .number, .double(0)),
        ("vgg_choose", .string, .string("relu5_3")),
        ("vgg_mean", .flag, .bool(false)),
        ("vgg_maxpooling", .flag, .bool(false)),
        ("no_vgg_instance", .flag, .bool(false)),
        ("IN_vgg", .flag, .bool(false)),
        ("vary", .int, .int(0)),
        ("low_times", .int, .int(200)),
        ("high_times", .int, .int(400)),
        ("target_mode", .string, .string("normal")),
        // Logging and saving.
        ("display_freq", .int, .int(100)),
        ("print_freq", .int, .int(100)),
        ("save_epoch_freq", .int, .int(5)),
        ("save_latest_freq", .int, .int(5000)),
        ("saveD", .flag, .bool(false)),
        ("debug", .flag, .bool(false)),
    ]

    static let kinds: [String: ConfigKind] = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.kind) })
    static let defaults: [String: ConfigValue] = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
}
