#!/usr/bin/env python3
"""Writes the generator golden fixtures under Tests/Fixtures/generator/ from real PyTorch.

    python3 scripts/make_fixtures.py [--out Tests/Fixtures/generator]

Deterministic: fixed seeds, one CPU thread. Needs torch and numpy only (PNGs are written with zlib).
See Tests/Fixtures/generator/README.md for the format.
"""
import argparse
import collections
import json
import os
import re
import shutil
import struct
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from monopix_torch import (MonoPixGenerator, full_opts, pad_amounts, randomize_,  # noqa: E402
                           scaled_widths)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
W_IMG, H_IMG = 37, 29
LEVELS = [-1.0, 0.0, 0.5, 1.0, 2.0]
OPT_KEYS = ["IsRelativeCtrl", "self_attention", "times_residual", "UseNoise", "transcode", "use_avgpool",
            "tanh", "out_tanh", "skip", "Gnorm"]

SEASON = dict(IsRelativeCtrl=1, Gnorm="Identity", out_tanh=1, skip=1)
VARIANTS = [
    # name, options, width_mult, seed, write legacy-format copy too, key style
    ("season_identity", dict(SEASON), 1 / 16, 101, True, "plain"),
    ("season_instance", dict(SEASON, Gnorm="instance"), 1 / 16, 102, False, "plain"),
    ("lowlight_batch_attention", dict(IsRelativeCtrl=1, Gnorm="batch", self_attention=1, times_residual=1,
                                      out_tanh=0, skip=1), 1 / 16, 103, True, "plain"),
    ("noise", dict(IsRelativeCtrl=1, UseNoise=1, Gnorm="Identity", out_tanh=1, skip=1), 1 / 16, 104, False, "plain"),
    ("transcode_avgpool", dict(SEASON, transcode=1, use_avgpool=1, Gnorm="instance"), 1 / 16, 105, False, "plain"),
    ("tanh_latent", dict(SEASON, tanh=1), 1 / 16, 106, False, "plain"),
    ("renamed_keys", dict(SEASON, Gnorm="batch"), 1 / 8, 107, True, "released"),
]
SUMMERWINTER_FULL = dict(IsRelativeCtrl=1, Gnorm="Identity", out_tanh=1, skip=1)
LOWLIGHT_FULL = dict(IsRelativeCtrl=1, Gnorm="batch", self_attention=1, times_residual=1, out_tanh=0, skip=1)


# ---------------------------------------------------------------------------------------------- PNG / images

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


def read_png(path):
    """Reader for exactly what write_png writes (used to check the files)."""
    data = open(path, "rb").read()
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if tag == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif tag == b"IDAT":
            idat += body
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + 3 * w)
    assert (raw[:, 0] == 0).all()
    return raw[:, 1:].reshape(h, w, 3)


def bilinear_resize(a, h, w):
    """Plain bilinear (corner-aligned) resize of an [h0, w0, c] float array, for synthesising the input."""
    h0, w0 = a.shape[:2]
    ys, xs = np.linspace(0, h0 - 1, h), np.linspace(0, w0 - 1, w)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h0 - 1), np.minimum(x0 + 1, w0 - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bot = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def make_input_u8(seed=7):
    rng = np.random.default_rng(seed)
    smooth = bilinear_resize(rng.uniform(0, 255, size=(4, 5, 3)), H_IMG, W_IMG)
    yy, xx = np.mgrid[0:H_IMG, 0:W_IMG].astype(np.float64)
    stripes = 28 * np.sin(xx * 0.9 + yy * 0.35)[..., None] * np.array([1.0, 0.6, -0.8])
    texture = rng.normal(0, 12, size=(H_IMG, W_IMG, 3))
    img = smooth + stripes + texture
    img[20:26, 3:12] *= 0.25  # a dark patch (the low-light attention map is ~1 there)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def make_map(seed=8):
    """Per-pixel intensity map, float32 [29, 37]: a horizontal ramp -0.5 -> 1.0 plus a Gaussian blob."""
    yy, xx = np.mgrid[0:H_IMG, 0:W_IMG].astype(np.float64)
    ramp = -0.5 + 1.5 * xx / (W_IMG - 1)
    blob = 0.7 * np.exp(-((xx - 28) ** 2 + (yy - 13) ** 2) / (2 * 4.5 ** 2))
    return (ramp + blob).astype(np.float32)


def preprocess(u8):
    """As predict.py: float64 ((u8 / 255) - 0.5) * 2, HWC -> CHW, gray from the float64 values, then float32."""
    x = (u8 / 255.0 - 0.5) * 2
    x = np.transpose(x, (2, 0, 1))
    r, g, b = x[0] + 1, x[1] + 1, x[2] + 1
    gray = 1.0 - (0.299 * r + 0.587 * g + 0.114 * b) / 2.0
    return x[None].astype(np.float32), gray[None, None].astype(np.float32)


def to_png_u8(y):
    """As predict.py, on float32: clamp to [-1, 1], ((y + 1) / 2 * 255) truncated. [1,3,H,W] -> [H,W,3]."""
    y = y[0].transpose(1, 2, 0)
    y = np.maximum(np.minimum(y, np.float32(1)), np.float32(-1))
    return ((y + 1) / 2.0 * 255.0).astype(np.uint8)


def near_integer_count(y, eps=1e-3):
    """Unclamped values whose (y + 1) / 2 * 255 lies within eps of an integer (truncation could flip there)."""
    y = y.astype(np.float64)
    v = (y[np.abs(y) < 1] + 1) / 2 * 255
    return int(np.sum(np.abs(v - np.round(v)) < eps))


# ---------------------------------------------------------------------------------------------- state dicts

def released_name(k):
    """Naming of the released checkpoints: norm{k}_{j} -> bn{k}_{j}, and a DataParallel `module.` prefix."""
    return "module." + re.sub(r"^norm(\d_\d)", r"bn\1", k)


def renamed_state_dict(sd):
    out = collections.OrderedDict((released_name(k), v) for k, v in sd.items())
    meta = getattr(sd, "_metadata", None)
    if meta is not None:
        m = collections.OrderedDict()
        m[""] = {"version": 1}
        for k, v in meta.items():
            m["module" if k == "" else released_name(k)] = v
        out._metadata = m
    return out


def undo_released_names(sd):
    return collections.OrderedDict((re.sub(r"^bn(\d_\d)", r"norm\1", k[len("module."):]), v) for k, v in sd.items())


def config_yaml(opts, width_mult):
    lines = []
    for k in OPT_KEYS:
        v = opts[k]
        if isinstance(v, bool):
            v = int(v)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        lines.append("%s: %s" % (k, v))
    lines.append("ngf_mult: %s" % (repr(float(width_mult))))
    return "\n".join(lines) + "\n"


def layout(model):
    sd = model.state_dict()
    return {
        "keys": [{"key": k, "shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")} for k, v in sd.items()],
        "parameter_count": sum(p.numel() for p in model.parameters()),
        "state_dict_element_count": sum(v.numel() for v in sd.values()),
    }


# ---------------------------------------------------------------------------------------------- main

def calibrate_(model, x, gray, noise, target=0.5):
    """Scales conv10 down (never up) so that the latent's std at level 0.5 is at most `target`: keeps
    most outputs away from tanh saturation / clamping, so the fixtures stay sensitive everywhere."""
    with torch.no_grad():
        _, lat = model(x, gray, torch.full((1, 1, 1, 1), 0.5), noise)
        f = min(1.0, target / lat.std().item())
        model.conv10.weight.mul_(f)
        model.conv10.bias.mul_(f)
    return f


def run(model, x, gray, level, noise):
    with torch.no_grad():
        out, _ = model(x, gray, level, noise)
    return out.numpy()


def make_variant(root, name, opts, width_mult, seed, legacy, key_style, x_np, gray_np, u8, lmap):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    o = full_opts(opts)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = MonoPixGenerator(o, width_mult).eval()
    randomize_(model, gen)
    x = torch.from_numpy(x_np)
    gray = torch.from_numpy(gray_np)

    files = {}
    write_png(os.path.join(d, "input.png"), u8)
    files["input.png"] = "8-bit RGB %dx%d (the same image in every variant; ../input.npy is its float32 tensor)" % (
        W_IMG, H_IMG)
    np.save(os.path.join(d, "map.npy"), lmap)
    files["map.npy"] = "float32 [%d,%d] per-pixel intensity map (pass as [1,1,H,W])" % (H_IMG, W_IMG)

    left, right, top, bottom = pad_amounts(H_IMG, W_IMG)
    hp, wp = H_IMG + top + bottom, W_IMG + left + right
    noise = None
    if o["UseNoise"]:
        noise = torch.randn(1, 1, hp, wp, generator=gen)
        np.save(os.path.join(d, "noise.npy"), noise.numpy())
        files["noise.npy"] = "float32 [1,1,%d,%d] standard-normal noise channel at the padded size, used for every output" % (hp, wp)

    conv10_scale = calibrate_(model, x, gray, noise)
    model64 = MonoPixGenerator(o, width_mult).double().eval()
    model64.load_state_dict(model.state_dict())

    sd = model.state_dict()
    saved = renamed_state_dict(sd) if key_style == "released" else sd
    torch.save(saved, os.path.join(d, "model.pth"))
    files["model.pth"] = "state_dict, torch.save zip format" + (
        " (keys: module. prefix, norm{k}_{j} named bn{k}_{j})" if key_style == "released" else "")
    if legacy:
        torch.save(saved, os.path.join(d, "model_legacy.pth"), _use_new_zipfile_serialization=False)
        files["model_legacy.pth"] = "same state_dict, legacy (pre-1.6, non-zip) torch.save format"
    with open(os.path.join(d, "config.yaml"), "w") as f:
        f.write(config_yaml(o, width_mult))
    files["config.yaml"] = "flat options as in the reference YAML configs, plus ngf_mult"

    outputs = []
    max64 = 0.0
    cases = [("out_level_%d" % i, torch.tensor(lv, dtype=torch.float32).view(1, 1, 1, 1), lv)
             for i, lv in enumerate(LEVELS)]
    cases.append(("out_map", torch.from_numpy(lmap)[None, None], "map.npy"))
    for stem, lv, desc in cases:
        y = run(model, x, gray, lv, noise)
        assert y.shape == (1, 3, H_IMG, W_IMG) and y.dtype == np.float32
        y64 = run(model64, x.double(), gray.double(), lv.double(), None if noise is None else noise.double())
        diff = float(np.abs(y.astype(np.float64) - y64).max())
        max64 = max(max64, diff)
        np.save(os.path.join(d, stem + ".npy"), y)
        png = to_png_u8(y)
        write_png(os.path.join(d, stem + ".png"), png)
        outputs.append({"level": desc, "npy": stem + ".npy", "png": stem + ".png",
                        "min": float(y.min()), "max": float(y.max()), "mean": float(y.mean()),
                        "max_abs_diff_vs_float64": diff,
                        "png_values_within_1e-3_of_an_integer": near_integer_count(y)})
        files[stem + ".npy"] = "float32 [1,3,%d,%d] output before clamping, level %s" % (H_IMG, W_IMG, desc)
        files[stem + ".png"] = "8-bit RGB of the same (clamp, then truncation)"

    # distinctness: the level must change the output
    outs = [np.load(os.path.join(d, "out_level_%d.npy" % i)) for i in range(len(LEVELS))]
    spread = min(float(np.abs(outs[i + 1] - outs[i]).max()) for i in range(len(LEVELS) - 1))

    files["manifest.json"] = "this file"
    manifest = collections.OrderedDict(
        variant=name,
        options={k: (int(o[k]) if isinstance(o[k], bool) else o[k]) for k in OPT_KEYS},
        width_mult=width_mult,
        widths=list(scaled_widths(width_mult)),
        input_channels=model.in_channels,
        input_channel_order=["r", "g", "b"] + (["level"] if o["IsRelativeCtrl"] else [])
        + (["noise"] if o["UseNoise"] else []) + (["gray"] if o["self_attention"] else []),
        state_dict_keys="released (module. prefix, bn{k}_{j})" if key_style == "released" else "reference (norm{k}_{j})",
        parameter_count=sum(p.numel() for p in model.parameters()),
        image={"width": W_IMG, "height": H_IMG},
        padding={"left": left, "right": right, "top": top, "bottom": bottom,
                 "padded_width": wp, "padded_height": hp, "mode": "reflect"},
        levels=LEVELS,
        level_input="scalar levels are passed as float32 tensors [1,1,1,1]; the map as map.npy reshaped to [1,1,29,37]",
        noise=("noise.npy, [1,1,%d,%d], the same tensor for every output" % (hp, wp)) if o["UseNoise"] else None,
        preprocessing={
            "input": "x = ((u8 / 255.0) - 0.5) * 2 computed in float64, HWC->CHW, then cast to float32 (../input.npy)",
            "gray": ("with r,g,b = x_c + 1 (float64): gray = 1 - (0.299 r + 0.587 g + 0.114 b) / 2, cast to float32 "
                     "[1,1,H,W] (../gray.npy)") if o["self_attention"] else "not used (no self_attention)",
            "float32_input": "../input.npy",
        },
        png_rule="float32: y = max(min(y, 1), -1); v = (y + 1) / 2 * 255; uint8 = truncate(v) (numpy astype)",
        outputs=outputs,
        min_max_abs_change_between_consecutive_levels=spread,
        max_abs_diff_float32_vs_float64=max64,
        init=("conv weights U(-sqrt(6/fan_in), +sqrt(6/fan_in)), conv biases U(-0.1, 0.1); batch norm weight "
              "U(0.5, 1.5), bias N(0, 0.2^2), running_mean N(0, 0.3^2), running_var U(0.5, 2), random num_batches_tracked; "
              "then conv10 weight and bias scaled by %.6g (latent std <= 0.5 at level 0.5); seed %d" % (conv10_scale, seed)),
        files=files,
        torch_version=torch.__version__,
        numpy_version=np.__version__,
    )
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return model, spread, max64


def verify_variant(root, name, opts, width_mult, key_style):
    """Reload model.pth (and model_legacy.pth) with weights_only=True and recompute every output."""
    d = os.path.join(root, name)
    o = full_opts(opts)
    x = torch.from_numpy(np.load(os.path.join(root, "input.npy")))
    u8 = read_png(os.path.join(d, "input.png"))
    x2, gray_np = preprocess(u8)
    assert np.array_equal(x.numpy(), x2)
    assert np.array_equal(np.load(os.path.join(root, "gray.npy")), gray_np)
    gray = torch.from_numpy(gray_np)
    noise = torch.from_numpy(np.load(os.path.join(d, "noise.npy"))) if o["UseNoise"] else None
    lmap = torch.from_numpy(np.load(os.path.join(d, "map.npy")))[None, None]
    for fn in ("model.pth", "model_legacy.pth"):
        p = os.path.join(d, fn)
        if not os.path.exists(p):
            continue
        sd = torch.load(p, weights_only=True)
        if key_style == "released":
            assert all(k.startswith("module.") for k in sd) and any(".bn1_1." in k for k in sd)
            sd = undo_released_names(sd)
        m = MonoPixGenerator(o, width_mult).eval()
        m.load_state_dict(sd, strict=True)
        for i, lv in enumerate(LEVELS):
            y = run(m, x, gray, torch.tensor(lv, dtype=torch.float32).view(1, 1, 1, 1), noise)
            ref = np.load(os.path.join(d, "out_level_%d.npy" % i))
            assert np.array_equal(y, ref), (name, fn, i)
            assert np.array_equal(read_png(os.path.join(d, "out_level_%d.png" % i)), to_png_u8(ref))
        y = run(m, x, gray, lmap, noise)
        assert np.array_equal(y, np.load(os.path.join(d, "out_map.npy"))), (name, fn, "map")
        assert np.array_equal(read_png(os.path.join(d, "out_map.png")), to_png_u8(y))
    return True


def make_full_width(root, x_np, gray_np):
    sw = MonoPixGenerator(SUMMERWINTER_FULL, 1.0)
    ll = MonoPixGenerator(LOWLIGHT_FULL, 1.0)
    lay_sw, lay_ll = layout(sw), layout(ll)
    assert lay_sw["parameter_count"] == 8630851, lay_sw["parameter_count"]
    doc = collections.OrderedDict(
        note="state_dict layout of the full-width (width_mult 1) generators, keys in state_dict order",
        summerwinter=collections.OrderedDict(options=full_opts(SUMMERWINTER_FULL), **lay_sw),
        lowlight=collections.OrderedDict(options=full_opts(LOWLIGHT_FULL), **lay_ll),
        torch_version=torch.__version__,
    )
    with open(os.path.join(root, "full_width_layout.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

    # Full-width LowLight state_dict whose every tensor is a view of a 1-element storage.
    def tiny(k, v):
        leaf = k.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            return torch.zeros((1,), dtype=torch.int64).reshape(())
        if leaf == "weight" and v.dim() == 4:
            val = 1.0 / v[0].numel()  # each conv averages its inputs
        elif leaf == "bias":
            val = 0.01
        elif leaf in ("weight", "running_var"):
            val = 1.0
        else:  # running_mean
            val = 0.0
        return torch.full((1,), val, dtype=v.dtype).expand(v.shape)

    sd = ll.state_dict()
    zero = collections.OrderedDict((k, tiny(k, v)) for k, v in sd.items())
    zero._metadata = sd._metadata
    p = os.path.join(root, "full_width_zero.pth")
    torch.save(zero, p)
    size = os.path.getsize(p)
    back = torch.load(p, weights_only=True)
    assert list(back.keys()) == list(sd.keys())
    strides0 = 0
    for k in sd:
        assert back[k].shape == sd[k].shape and back[k].dtype == sd[k].dtype, k
        assert back[k].untyped_storage().nbytes() == back[k].element_size(), (k, "storage was materialised")
        strides0 += int(all(s == 0 for s in back[k].stride()) and back[k].dim() > 0)
    ll.eval().load_state_dict(back, strict=True)
    with torch.no_grad():
        out, _ = ll(torch.from_numpy(x_np), torch.from_numpy(gray_np), torch.tensor(1.0).view(1, 1, 1, 1))
    np.save(os.path.join(root, "full_width_zero_out.npy"), out.numpy())
    return size, strides0, len(sd)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "Tests", "Fixtures", "generator"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    np.random.seed(0)
    root = args.out
    for name, *_ in VARIANTS:
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    os.makedirs(root, exist_ok=True)

    u8 = make_input_u8()
    x_np, gray_np = preprocess(u8)
    lmap = make_map()
    np.save(os.path.join(root, "input.npy"), x_np)
    np.save(os.path.join(root, "gray.npy"), gray_np)
    for name, opts, wm, seed, legacy, keys in VARIANTS:
        _, spread, max64 = make_variant(root, name, opts, wm, seed, legacy, keys, x_np, gray_np, u8, lmap)
        verify_variant(root, name, opts, wm, keys)
        print("%-26s ok  min level-to-level max|diff| %.3f  max|f32-f64| %.2e" % (name, spread, max64))
    size, strides0, n = make_full_width(root, x_np, gray_np)
    print("full_width_zero.pth: %d bytes, %d tensors (%d with all-zero strides)" % (size, n, strides0))
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(root) for f in fs)
    print("total fixture size: %d bytes" % total)


if __name__ == "__main__":
    main()
