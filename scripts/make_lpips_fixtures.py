#!/usr/bin/env python3
"""Writes the LPIPS golden fixtures under Tests/Fixtures/lpips/ from real PyTorch.

    python3 scripts/make_lpips_fixtures.py [--out Tests/Fixtures/lpips]
    python3 scripts/make_lpips_fixtures.py --verify-against-reference /work/.mirror/lukun199+MonoPix/repo
    python3 scripts/make_lpips_fixtures.py --full /tmp/lpips_full --lin-weights alex.pth

LPIPS v0.1 with the AlexNet trunk, restated from the `lpips` package (Evaluations/lpips/lpips.py,
pretrained_networks.py and __init__.py in lukun199/MonoPix) and torchvision's `alexnet().features`, with the trunk
widths as a parameter. Needs torch and numpy only (not torchvision or lpips).

The committed fixture is a *narrow* random trunk (every width divided by 8) with random non-negative linear
heads: the real AlexNet features are about 10 MB, too big to commit. `--full DIR` writes the same kind of fixture
at the real widths (random trunk; `--lin-weights` may give the real `weights/v0.1/alex.pth` heads) into DIR, for the
opt-in test `MONOPIX_LPIPS_FULL_FIXTURES=DIR swift test -c release --filter LPIPSTests`.

`--verify-against-reference REPO` runs the reference's own lpips package (extracted with `git show`, with
torchvision replaced by a stub that returns this script's trunk and tqdm by a no-op) on the same weights and images
at full width (the package hard-codes the widths) and checks that it gives the same distances as the restatement
here, bit for bit.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import types
import zlib

import numpy as np
import torch
from torch import nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FULL_WIDTHS = [64, 192, 384, 256, 256]


# ---------------------------------------------------------------------------------------------- networks

def alexnet_features(widths):
    """torchvision.models.alexnet().features with the given conv widths (indices 0..12, as in its state_dict)."""
    w0, w1, w2, w3, w4 = widths
    return nn.Sequential(
        nn.Conv2d(3, w0, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(w0, w1, kernel_size=5, padding=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(w1, w2, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(w2, w3, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(w3, w4, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2),
    )


class AlexNetHolder(nn.Module):
    """Gives the trunk torchvision's state_dict key names: features.0.weight, features.3.weight, ..."""

    def __init__(self, widths):
        super().__init__()
        self.features = alexnet_features(widths)


class LinHead(nn.Module):
    """lpips.NetLinLayer: Dropout then a 1x1 conv without bias, keys lin{k}.model.1.weight."""

    def __init__(self, chn):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(chn, 1, 1, stride=1, padding=0, bias=False))


class Heads(nn.Module):
    def __init__(self, widths):
        super().__init__()
        for k, c in enumerate(widths):
            setattr(self, "lin%d" % k, LinHead(c))


class LPIPSAlex(nn.Module):
    """lpips.LPIPS(net='alex', version='0.1') forward, eval mode."""
    SLICES = [(0, 2), (2, 5), (5, 8), (8, 10), (10, 12)]

    def __init__(self, features, heads):
        super().__init__()
        self.features, self.heads = features, heads
        self.register_buffer("shift", torch.Tensor([-.030, -.088, -.188])[None, :, None, None])
        self.register_buffer("scale", torch.Tensor([.458, .448, .450])[None, :, None, None])

    def trunk(self, x):
        outs = []
        for lo, hi in self.SLICES:
            for i in range(lo, hi):
                x = self.features[i](x)
            outs.append(x)
        return outs

    def forward(self, in0, in1):
        o0 = self.trunk((in0 - self.shift) / self.scale)
        o1 = self.trunk((in1 - self.shift) / self.scale)
        layers = []
        for k in range(5):
            f0, f1 = normalize_tensor(o0[k]), normalize_tensor(o1[k])
            d = (f0 - f1) ** 2
            layers.append(getattr(self.heads, "lin%d" % k).model(d).mean([2, 3], keepdim=True))
        val = 0
        for r in layers:
            val += r
        return val, layers


def normalize_tensor(in_feat, eps=1e-10):
    norm_factor = torch.sqrt(torch.sum(in_feat ** 2, dim=1, keepdim=True))
    return in_feat / (norm_factor + eps)


def topn1(img):
    """Cal_LPIPS_Tragectory.py: [0, 255] to [-1, 1], in float64 before FloatTensor."""
    return ((img / 255.) - 0.5) * 2


def to_input(img):
    return torch.FloatTensor(topn1(img).transpose(2, 0, 1)).unsqueeze(0)


# ---------------------------------------------------------------------------------------------- images

def write_png(path, rgb):
    """Minimal 8-bit RGB PNG writer (filter 0 on every row, one IDAT)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, c = rgb.shape
    assert c == 3

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def make_images():
    """A smooth scene with texture and noise, and a degraded copy of it (brighter, shifted, noisier)."""
    def scene(h, w, seed):
        r = np.random.default_rng(seed)
        y, x = np.mgrid[0:h, 0:w].astype(np.float64)
        base = np.stack([
            120 + 80 * np.sin(x / 7.0 + seed) * np.cos(y / 11.0),
            100 + 60 * np.cos((x + y) / 9.0),
            90 + 70 * np.sin(x * y / 150.0 + 1),
        ], axis=-1)
        base[(x // 8 + y // 8) % 2 == 0] += 25  # a checker texture
        return np.clip(base + r.normal(0, 12, base.shape), 0, 255).astype(np.uint8)

    def degrade(img, seed):
        r = np.random.default_rng(seed)
        out = img.astype(np.float64) * 1.15 + 10
        out = np.roll(out, 1, axis=1)
        return np.clip(out + r.normal(0, 20, out.shape), 0, 255).astype(np.uint8)

    a = scene(64, 64, 1)
    c = scene(37, 45, 2)
    e = scene(31, 33, 3)
    return {"a_64x64.png": a, "b_64x64.png": degrade(a, 11),
            "c_45x37.png": c, "d_45x37.png": degrade(c, 12),
            "e_33x31.png": e, "f_33x31.png": degrade(e, 13)}


PAIRS = [("a_64x64.png", "b_64x64.png"), ("b_64x64.png", "a_64x64.png"), ("a_64x64.png", "a_64x64.png"),
         ("c_45x37.png", "d_45x37.png"), ("e_33x31.png", "f_33x31.png")]


# ---------------------------------------------------------------------------------------------- fixtures

def build(widths, seed, lin_weights=None):
    torch.manual_seed(seed)
    trunk = AlexNetHolder(widths).eval()
    heads = Heads(widths).eval()
    with torch.no_grad():
        for k in range(5):
            w = getattr(heads, "lin%d" % k).model[1].weight
            w.copy_(torch.rand(w.shape) * 20 / widths[k])  # non-negative, as the trained heads are
    if lin_weights:
        sd = torch.load(lin_weights, map_location="cpu")
        heads.load_state_dict(sd, strict=True)
    return trunk, heads


def distances(trunk, heads, images):
    model = LPIPSAlex(trunk.features, heads).eval()
    rows = []
    with torch.no_grad():
        for n0, n1 in PAIRS:
            val, layers = model(to_input(images[n0]), to_input(images[n1]))
            rows.append({"in0": n0, "in1": n1, "lpips": val.item(), "layers": [l.item() for l in layers]})
    return rows


def write_fixture(out, widths, seed, lin_weights=None):
    os.makedirs(out, exist_ok=True)
    images = make_images()
    for name, img in images.items():
        write_png(os.path.join(out, name), img)
    trunk, heads = build(widths, seed, lin_weights)
    # The trunk as torchvision saves it (zip format); the heads in the legacy format, like weights/v0.1/alex.pth.
    torch.save(trunk.state_dict(), os.path.join(out, "alexnet.pth"))
    torch.save(heads.state_dict(), os.path.join(out, "lpips_lin.pth"), _use_new_zipfile_serialization=False)
    rows = distances(trunk, heads, images)
    for r in rows:
        if r["in0"] != r["in1"]:
            assert all(v > 0 for v in r["layers"]), "a layer contributes nothing: %s" % r
    doc = {"widths": widths, "seed": seed, "torch": torch.__version__,
           "lin_weights": os.path.basename(lin_weights) if lin_weights else "random",
           "pairs": rows}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    for r in rows:
        print("%-12s %-12s %.9f" % (r["in0"], r["in1"], r["lpips"]))


def verify_against_reference(repo, widths, seed):
    """Runs lpips.LPIPS from the reference repo (torchvision and tqdm stubbed) against LPIPSAlex."""
    tmp = tempfile.mkdtemp()
    pkg = os.path.join(tmp, "lpips")
    os.makedirs(pkg)
    for name in ["__init__.py", "lpips.py", "pretrained_networks.py", "trainer.py"]:
        src = subprocess.check_output(["git", "-C", repo, "show", "HEAD:Evaluations/lpips/" + name])
        with open(os.path.join(pkg, name), "wb") as f:
            f.write(src)
    trunk, heads = build(widths, seed)
    tv = types.ModuleType("torchvision")
    tv.models = types.SimpleNamespace(alexnet=lambda pretrained=True: trunk,
                                      vgg16=None, squeezenet1_1=None)
    sys.modules["torchvision"] = tv
    sys.modules["torchvision.models"] = tv.models
    tq = types.ModuleType("tqdm")
    tq.tqdm = lambda x, *a, **k: x
    sys.modules.setdefault("tqdm", tq)
    sys.path.insert(0, tmp)
    import lpips  # noqa: E402  (the reference's copy)
    lin_path = os.path.join(tmp, "lin.pth")
    torch.save(heads.state_dict(), lin_path)
    ref = lpips.LPIPS(net="alex", version="0.1", model_path=lin_path, verbose=False)
    mine = LPIPSAlex(trunk.features, heads).eval()
    images = make_images()
    worst = 0.0
    with torch.no_grad():
        for n0, n1 in PAIRS:
            a, b = to_input(images[n0]), to_input(images[n1])
            r = ref(a, b).item()
            m = mine(a, b)[0].item()
            worst = max(worst, abs(r - m))
            print("%-12s %-12s reference %.9f  restated %.9f" % (n0, n1, r, m))
    assert worst == 0.0, "restatement differs from the reference lpips package by %g" % worst
    print("identical to the reference lpips package")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.path.join(REPO, "Tests/Fixtures/lpips"))
    p.add_argument("--divisor", type=int, default=8, help="trunk widths are the real ones divided by this")
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--full", help="also write a full-width fixture (not committed) into this folder")
    p.add_argument("--lin-weights", help="with --full: the lpips package's weights/v0.1/alex.pth")
    p.add_argument("--verify-against-reference", metavar="REPO")
    args = p.parse_args()
    torch.set_num_threads(1)
    narrow = [w // args.divisor for w in FULL_WIDTHS]
    if args.verify_against_reference:
        # The reference's LPIPS hard-codes the AlexNet widths, so the check runs at full width.
        verify_against_reference(args.verify_against_reference, FULL_WIDTHS, args.seed)
        return
    write_fixture(args.out, narrow, args.seed)
    if args.full:
        write_fixture(args.full, FULL_WIDTHS, args.seed, args.lin_weights)


if __name__ == "__main__":
    main()
