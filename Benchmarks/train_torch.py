#!/usr/bin/env python3
"""PyTorch CPU training throughput on the same model and step as `monopix bench train`.

    python3 Benchmarks/train_torch.py --config configs/MonoPix_SummerWinter_Default.yaml --fine-size 128 --batch-size 1

One warm-up step, then `--steps` timed steps of the reference's optimize_parameters (scripts/training_parity.py's
restatement: generator step, D_A step, D_B step) on random crops; prints seconds per step and images per second
(dataset images: each is run at two intensities), or one JSON object with --json.
"""
import argparse
import itertools
import json
import os
import sys
import time

import torch
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from monopix_torch import MonoPixGenerator  # noqa: E402
from training_parity import PatchDiscriminator, cycle_step, lowlight_step, weights_init  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default=os.path.join(HERE, "..", "configs", "MonoPix_SummerWinter_Default.yaml"))
    ap.add_argument("--fine-size", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=1)
    ap.add_argument("--ngf-mult", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.config) as f:
        c = yaml.safe_load(f)
    model = c.get("model", "cycleCtrl")
    gopts = {k: c[k] for k in ("IsRelativeCtrl", "self_attention", "times_residual", "UseNoise", "transcode", "use_avgpool",
                               "tanh", "out_tanh", "skip", "Gnorm") if k in c}
    ndf = max(1, int(round(64 * a.ngf_mult)))
    o = dict(margin=c.get("margin", 0.5), lambda_A=c.get("lambda_A", 10.0), lambda_B=c.get("lambda_B", 10.0),
             lambda_mono=c.get("lambda_mono", 1.0), lambda_df=c.get("lambda_df", 0.25), cal_G_Df=c.get("cal_G_Df", 0),
             cal_D_Df=c.get("cal_D_Df", 0), grad_clip=c.get("grad_clip", 0), patchD=c.get("patchD", 0),
             patchD_3=c.get("patchD_3", 0), patchSize=c.get("patchSize", 64))
    lr, b1 = c.get("lr", 1e-4), c.get("beta1", 0.5)
    torch.manual_seed(0)
    n, s = a.batch_size, a.fine_size
    levels = torch.rand(2 * n)
    if model == "cycleCtrl":
        nets = {"G_A": MonoPixGenerator(gopts, a.ngf_mult), "G_B": MonoPixGenerator(gopts, a.ngf_mult),
                "D_A": PatchDiscriminator(ndf, c.get("n_layers_D", 3), c.get("Dnorm", "Identity")),
                "D_B": PatchDiscriminator(ndf, c.get("n_layers_D", 3), c.get("Dnorm", "Identity"))}
        opts = (torch.optim.Adam(itertools.chain(nets["G_A"].parameters(), nets["G_B"].parameters()), lr=lr, betas=(b1, 0.9)),
                torch.optim.Adam(nets["D_A"].parameters(), lr=lr, betas=(b1, 0.9)),
                torch.optim.Adam(nets["D_B"].parameters(), lr=lr, betas=(b1, 0.9)))

        def step():
            cycle_step(o, nets, opts, torch.rand(n, 3, s, s) * 2 - 1, torch.rand(n, 3, s, s) * 2 - 1, levels, levels)
    elif model == "cycleCtrl_lowlight":
        nets = {"G_A": MonoPixGenerator(gopts, a.ngf_mult),
                "D_A": PatchDiscriminator(ndf, c.get("n_layers_D", 3), c.get("Dnorm", "Identity")),
                "D_P": PatchDiscriminator(ndf, c.get("n_layers_patchD", 3), c.get("Dnorm", "Identity"))}
        opts = {k: torch.optim.Adam(v.parameters(), lr=lr, betas=(b1, 0.9)) for k, v in nets.items()}
        offsets = [(0, 0)] * (1 + o["patchD_3"])

        def step():
            x = torch.rand(n, 3, s, s) * 2 - 1
            lowlight_step(o, nets, opts, x, torch.rand(n, 3, s, s) * 2 - 1, x, levels, offsets)
    else:
        raise SystemExit("model %s: not benchmarked" % model)
    for net in nets.values():
        net.apply(weights_init)
        net.train()
    step()
    times = []
    for _ in range(max(1, a.steps)):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    out = dict(seconds_per_step=med, images_per_s=n / med, min_seconds=times[0], torch=torch.__version__, threads=a.threads)
    print(json.dumps(out) if a.json else "pytorch  %.3f s/step  %.2f images/s" % (med, n / med))


if __name__ == "__main__":
    main()
