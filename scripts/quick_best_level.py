#!/usr/bin/env python3
"""A quick screen of a low-light generator on the held-out photos (issue #17): the mean PSNR / SSIM / chroma error at
each image's best level over LO, LO + 0.05, ..., HI (default 0.6 ... 1.4, 17 levels: about 40 % of
scripts/eval_lowlight_model.py's predictions), beside the best global gain. Its numbers are those of the eval
script's "best level in [0, 2]" row whenever every image's best level lies in [LO, HI] (it checks: a best level on
an end of the range is flagged). Use it to pick candidates; measure the pick with the eval script.

  python3 scripts/quick_best_level.py --checkpoint MODEL.safetensors --heldout DATAROOT/heldout [--config CFG]
      [--bin PATH_TO_monopix] [--out OUTDIR] [--lo 0.6] [--hi 1.4]
"""
import argparse, glob, os, re, shutil, subprocess, sys
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_lowlight_model import psnr, ssim, chroma_err, best_curve, GAIN_LUT  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True); ap.add_argument("--heldout", required=True)
    ap.add_argument("--config", default=os.path.join(ROOT, "assets/models/lowlight-small/config.yaml"))
    ap.add_argument("--bin", default="/tmp/monopix-eval-bin"); ap.add_argument("--out", default="/tmp/monopix-quick")
    ap.add_argument("--lo", type=float, default=0.6); ap.add_argument("--hi", type=float, default=1.4)
    a = ap.parse_args()
    n = int(round((a.hi - a.lo) / 0.05))
    shutil.rmtree(a.out, ignore_errors=True)
    p = subprocess.run(["nice", "-n", "10", a.bin, "predict", "--config", a.config, "--checkpoint", a.checkpoint,
                        "--input", os.path.join(a.heldout, "dark"), "--n-search", str(n), "--lower", str(a.lo),
                        "--higher", str(a.hi), "--save-path", a.out, "--tag", "q"], capture_output=True, text=True)
    if p.returncode: sys.exit(p.stderr[-2000:])
    d = glob.glob(os.path.join(a.out, "*_q_exhaustive"))[0]
    P, S, C, G, L, edge = [], [], [], [], [], []
    for nm in sorted(x for x in os.listdir(d) if os.path.isdir(os.path.join(d, x))):
        rd = lambda q: np.asarray(Image.open(q).convert("RGB"))
        gt, x = rd(os.path.join(a.heldout, "clean", nm + ".png")), rd(os.path.join(a.heldout, "dark", nm + ".png"))
        fs = sorted((f for f in os.listdir(os.path.join(d, nm)) if not f.endswith("_99.png")),
                    key=lambda f: int(re.search(r"_enhlvl_(\d+)", f).group(1)))
        ims = [rd(os.path.join(d, nm, f)) for f in fs]
        ps = [psnr(i, gt) for i in ims]; b = int(np.argmax(ps))
        P.append(ps[b]); S.append(ssim(ims[b], gt)); C.append(chroma_err(ims[b], gt)); L.append(a.lo + 0.05 * b)
        if b in (0, len(ims) - 1): edge.append(nm)
        G.append(psnr(GAIN_LUT[best_curve(x, gt, GAIN_LUT)][x], gt))
    print("%s: best level in [%g, %g]: PSNR %.2f, SSIM %.3f, chroma %.2f (mean level %.2f); best gain PSNR %.2f%s" % (
        a.checkpoint, a.lo, a.hi, np.mean(P), np.mean(S), np.mean(C), np.mean(L), np.mean(G),
        "" if not edge else "; best level on the range's end for %s (widen it)" % ", ".join(edge)))


if __name__ == "__main__":
    main()
