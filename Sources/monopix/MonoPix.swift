import ArgumentParser

/// The `monopix` command: the studio and the batch tools share one engine.
@main
struct MonoPix: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monopix",
        abstract: "MonoPix Studio: pixel-level monotonic image modulation on the CPU.",
        subcommands: [StudioCommand.self, PredictCommand.self, MaskCommand.self, EvalCommand.self, TrainCommand.self,
                      InfoCommand.self, ConvertCommand.self, BenchCommand.self]
    )
}
