#!/usr/bin/env python3
"""Regenerates the top-level README's pictures of the bundled model (docs/images/trajectory.png, spatial.png):

  python3 scripts/make_readme_pictures.py [--model assets/models/lowlight-small/model.safetensors]

trajectory.png: assets/samples/chelsea_dark.png, then levels 0, 0.5, 1 and 1.5 (`monopix predict`), 6-pixel white gaps.
spatial.png: the input and the mask's view (kept from the current picture: they do not depend on the model), then the
result under masks/ramp_320x212.png (0 on the left, 1 on the right; `monopix predict --inf-type spatial`).
"""
import argparse, os, subprocess, tempfile, numpy as np
from skimage import io

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--model", default=os.path.join(root, "assets/models/lowlight-small/model.safetensors"))
ap.add_argument("--binary", default=os.path.join(root, ".build/release/monopix"))
a = ap.parse_args()
cfg = os.path.join(root, "configs/MonoPix_LowLight_Small.yaml")
sample = os.path.join(root, "assets/samples/chelsea_dark.png")
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([a.binary, "predict", "--config", cfg, "--checkpoint", a.model, "--input", sample, "--lower", "0",
                    "--higher", "1.5", "--n-search", "3", "--save-path", tmp, "--tag", "t"], check=True, capture_output=True)
    d = os.path.join(tmp, [x for x in os.listdir(tmp) if "_t_" in x][0], "chelsea_dark")
    panels = [io.imread(sample)[..., :3]] + [io.imread(os.path.join(d, "chelsea_dark_enhlvl_%02d.png" % l))[..., :3] for l in (0, 5, 10, 15)]
    gap = np.full((panels[0].shape[0], 6, 3), 255, np.uint8)
    row = [panels[0]]
    for p in panels[1:]: row += [gap, p]
    io.imsave(os.path.join(root, "docs/images/trajectory.png"), np.concatenate(row, 1), check_contrast=False)
    subprocess.run([a.binary, "predict", "--config", cfg, "--checkpoint", a.model, "--input", sample, "--inf-type", "spatial",
                    "--mask", os.path.join(root, "masks/ramp_320x212.png"), "--save-path", tmp, "--tag", "s"], check=True, capture_output=True)
    out = [os.path.join(r, f) for r, _, fs in os.walk(tmp) for f in fs if f.endswith("_spatial.png")][0]
    result = io.imread(out)[..., :3]
    spatial = io.imread(os.path.join(root, "docs/images/spatial.png"))[..., :3]
    w = result.shape[1]
    spatial[:, -w:] = result
    io.imsave(os.path.join(root, "docs/images/spatial.png"), spatial, check_contrast=False)
print("wrote docs/images/trajectory.png and docs/images/spatial.png")
