#!/usr/bin/env python3
"""Measures a low-light generator on the held-out photos of scripts/make_photo_dataset.py (issue #17):

  python3 scripts/eval_lowlight_model.py --checkpoint MODEL.safetensors --config CONFIG.yaml \\
      --heldout DATAROOT/heldout --out OUTDIR [--bin PATH_TO_monopix] [--json OUT.json]

HELDOUT holds dark/NAME.png and clean/NAME.png (same size). Runs the CLI (never builds it; default
/tmp/monopix-eval-bin) and reports, per image (OUTDIR/per_image.csv) and as means (markdown on stdout, JSON):

 1. The model at its best level: 21 levels 0, 0.05, ..., 1 (the CLI names a level by int(10 * level), so this is two
    exhaustive runs: --n-search 10 over [0, 1] and --n-search 9 over [0.05, 0.95]; OUTDIR/trajectory/IMG/ holds the
    merged IMG_enhlvl_00..20.png, 20 = level 1, and _99 = the input); per image the level of maximal PSNR against the
    clean photo (what the reference's ternary search looks for); PSNR, SSIM (skimage structural_similarity, RGB,
    channel_axis=2, data_range=255), chroma error (mean over pixels of the CIELAB ab distance, skimage rgb2lab) and
    the best level. Also the input itself and level 1.
 2. Baselines chosen the same way per image (best PSNR over a fine 1-D grid, 4000 values): gamma y = 255 (x/255)^g
    and gain y = clip(k x), both rounded to 8 bits; same metrics.
 3. Along the slider: mean brightness at each of the 21 levels; images whose brightness rises strictly over all 21.
 4. `monopix eval continuity` on the 11-level run (levels 00..10 and 99): Range, Smoothness, Absolute / Relative
    Linearity (distance: 1 - SSIM unless --lpips-weights and --alexnet-weights are given).
 5. A horizontal ramp mask (0 at the left column, 1 at the right; --inf-type spatial, one exact HxW mask per image
    size): mean brightness of 10 column bands, whether it rises strictly for every image (this depends on the photo's
    content too), the left / right band's mean gain over the input (difference in grey levels and ratio), and per band
    the "effective level" (the one of the 21 exhaustive levels nearest to the ramp output in that band; ideally
    0.05, 0.15, ..., 0.95). Also a constant 0.5 mask against level 0.5 of the
    exhaustive run (mean absolute difference): the two paths should agree.
 6. Border: the mean absolute difference between the outer 8-pixel ring and the adjacent inner 8-pixel ring (each
    side's band against the band just inside it, pixel by pixel), at the best level and for the clean photo; and per
    side the brightness of the outer 32-px band relative to the centre, output over clean (1 = no edge artefact).
Also OUTDIR/sheet.png: for 4 images, dark input, levels 0.25 / 0.5 / 0.75 / 1.0, best gamma, original, ramp result.
(This replaces the issue-#6 evaluation on chelsea crops.)
"""
import argparse, csv, glob, json, os, shutil, subprocess, sys, time
import numpy as np
from PIL import Image, ImageDraw
from skimage.color import rgb2lab
from skimage.metrics import structural_similarity

LEVELS = [round(0.05 * i, 2) for i in range(21)]
BAND = 8


def imread(p):
    return np.asarray(Image.open(p).convert("RGB"))


def psnr(a, b):
    m = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if m == 0 else float(10 * np.log10(255.0 ** 2 / m))


def ssim(a, b):
    return float(structural_similarity(a, b, channel_axis=2, data_range=255))


def chroma_err(a, b):
    la, lb = rgb2lab(a), rgb2lab(b)
    return float(np.sqrt(((la[..., 1:] - lb[..., 1:]) ** 2).sum(-1)).mean())


def metrics(out, gt):
    return {"psnr": psnr(out, gt), "ssim": ssim(out, gt), "chroma": chroma_err(out, gt)}


def best_curve(x, gt, curves):
    """curves: (n, 256) uint8 LUTs. Returns the index of the best-PSNR LUT via the joint histogram (x value, gt value)."""
    h = np.bincount(x.reshape(-1).astype(np.int64) * 256 + gt.reshape(-1), minlength=65536).reshape(256, 256).astype(np.float64)
    b = np.arange(256, dtype=np.float64)
    # MSE(c) = sum_a sum_b h[a, b] (c[a] - b)^2 = sum_a (n_a c_a^2 - 2 c_a s1_a + s2_a)
    n, s1, s2 = h.sum(1), h @ b, h @ (b * b)
    c = curves.astype(np.float64)
    mse = (c * c * n).sum(1) - 2 * (c * s1).sum(1) + s2.sum()
    return int(np.argmin(mse))


GAMMAS = np.geomspace(0.03, 1.5, 4000)
GAINS = np.geomspace(0.5, 200.0, 4000)
_x = np.arange(256, dtype=np.float64)
GAMMA_LUT = np.clip(np.round(255.0 * (_x / 255.0)[None, :] ** GAMMAS[:, None]), 0, 255).astype(np.uint8)
GAIN_LUT = np.clip(np.round(GAINS[:, None] * _x[None, :]), 0, 255).astype(np.uint8)


def border_mad(a):
    """Mean |outer 8-px band - the 8-px band just inside it| over the four sides (pixel by pixel)."""
    a = a.astype(np.float64); k = BAND
    d = [np.abs(a[:k] - a[k:2 * k]), np.abs(a[-k:] - a[-2 * k:-k]), np.abs(a[:, :k] - a[:, k:2 * k]),
         np.abs(a[:, -k:] - a[:, -2 * k:-k])]
    return float(np.mean([x.mean() for x in d]))


def border_signed(a):
    """Mean brightness of the outer ring minus that of the next ring (negative: the border is darker)."""
    a = a.astype(np.float64).mean(2); k = BAND
    outer = np.ones(a.shape, bool); outer[k:-k, k:-k] = False
    inner = np.zeros(a.shape, bool); inner[k:-k, k:-k] = True; inner[2 * k:-2 * k, 2 * k:-2 * k] = False
    return float(a[outer].mean() - a[inner].mean())


EDGE = 32


def edge_ratios(out, gt):
    """Per side (top, bottom, left, right): (out/clean brightness in the outer 32-px band) / (the same in the centre,
    64-px margins off). 1.0 = the model treats the edges like the rest; < 1 darker edges, > 1 brighter."""
    o, g = out.astype(np.float64).mean(2), gt.astype(np.float64).mean(2); k = EDGE
    ratio = lambda sl: o[sl].mean() / max(g[sl].mean(), 1e-6)
    centre = ratio((slice(2 * k, -2 * k), slice(2 * k, -2 * k)))
    sides = [(slice(0, k), slice(None)), (slice(-k, None), slice(None)), (slice(None), slice(0, k)),
             (slice(None), slice(-k, None))]
    return [ratio(sl) / centre for sl in sides]


def run(cmd, log):
    t = time.time()
    p = subprocess.run(["nice", "-n", "10"] + cmd, capture_output=True, text=True)
    with open(log, "a") as f:
        f.write("$ %s\n%s%s(%.1f s, exit %d)\n" % (" ".join(cmd), p.stdout, p.stderr, time.time() - t, p.returncode))
    if p.returncode != 0:
        sys.exit("failed (see %s): %s\n%s" % (log, " ".join(cmd), p.stderr[-2000:]))
    return p.stdout, time.time() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--heldout", required=True, help="folder with dark/ and clean/")
    ap.add_argument("--out", required=True)
    ap.add_argument("--bin", default="/tmp/monopix-eval-bin")
    ap.add_argument("--json")
    ap.add_argument("--lpips-weights"); ap.add_argument("--alexnet-weights")
    ap.add_argument("--keep", action="store_true", help="reuse OUTDIR's predictions if present")
    ap.add_argument("--best-max", type=float, default=1.0,
                    help="also search the best level past 1, up to this (levels 1.05, 1.1, ...; the model's range)")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    if not a.keep: shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    log = os.path.join(out, "commands.log")
    dark_dir, clean_dir = os.path.join(a.heldout, "dark"), os.path.join(a.heldout, "clean")
    names = sorted(os.path.splitext(f)[0] for f in os.listdir(dark_dir) if f.endswith(".png"))
    if not names: sys.exit("no PNG in %s" % dark_dir)
    base = [a.bin, "predict", "--config", a.config, "--checkpoint", a.checkpoint]
    pred = os.path.join(out, "pred")
    timing = {}

    # ---- trajectories: levels k/10 and 0.05 + k/10
    def exhaustive(tag, lo, hi, n):
        d = [x for x in glob.glob(os.path.join(pred, "*_%s_exhaustive" % tag))]
        if not (a.keep and d):
            _, timing[tag] = run(base + ["--input", dark_dir, "--n-search", str(n), "--lower", str(lo), "--higher",
                                         str(hi), "--save-path", pred, "--tag", tag], log)
            d = glob.glob(os.path.join(pred, "*_%s_exhaustive" % tag))
        return d[0]
    dA = exhaustive("lvA", 0, 1, 10)
    dB = exhaustive("lvB", 0.05, 0.95, 9)
    high = [round(1 + 0.05 * (i + 1), 2) for i in range(int(round((a.best_max - 1) * 20)))]
    dH = exhaustive("lvH", high[0], high[-1], len(high) - 1) if len(high) > 1 else None
    traj = os.path.join(out, "trajectory")
    for nm in names:
        td = os.path.join(traj, nm); os.makedirs(td, exist_ok=True)
        fa = sorted(f for f in os.listdir(os.path.join(dA, nm)) if "_enhlvl_" in f and not f.endswith("_99.png"))
        fb = sorted(f for f in os.listdir(os.path.join(dB, nm)) if "_enhlvl_" in f and not f.endswith("_99.png"))
        if len(fa) != 11 or len(fb) != 10: sys.exit("%s: expected 11 + 10 levels, got %d + %d" % (nm, len(fa), len(fb)))
        for i in range(21):
            src = os.path.join(dA, nm, fa[i // 2]) if i % 2 == 0 else os.path.join(dB, nm, fb[i // 2])
            shutil.copyfile(src, os.path.join(td, "%s_enhlvl_%02d.png" % (nm, i)))
        shutil.copyfile(os.path.join(dA, nm, "%s_enhlvl_99.png" % nm), os.path.join(td, "%s_enhlvl_99.png" % nm))

    # ---- continuity (reference metric) on the 11-level run
    cont_cmd = [a.bin, "eval", "continuity", "--path", dA]
    if a.lpips_weights and a.alexnet_weights:
        cont_cmd += ["--lpips-weights", a.lpips_weights, "--alexnet-weights", a.alexnet_weights]
    run(cont_cmd, log)
    cont = json.load(open(os.path.join(dA, "Continuity_Metric.json")))

    # ---- spatial: ramp masks (exact per size) and a constant 0.5 mask
    sizes = {}
    for nm in names:
        h, w = imread(os.path.join(dark_dir, nm + ".png")).shape[:2]; sizes.setdefault((h, w), []).append(nm)
    ramp_out = {}
    for gi, ((h, w), group) in enumerate(sorted(sizes.items())):
        gin = os.path.join(out, "ramp_in", "%dx%d" % (w, h)); os.makedirs(gin, exist_ok=True)
        for nm in group: shutil.copyfile(os.path.join(dark_dir, nm + ".png"), os.path.join(gin, nm + ".png"))
        m = np.tile(np.linspace(0, 1, w, dtype=np.float32), (h, 1))
        mp = os.path.join(out, "ramp_in", "ramp_%dx%d.npy" % (w, h)); np.save(mp, m)
        tag = "ramp%d" % gi
        if not (a.keep and glob.glob(os.path.join(pred, "*_%s_spatial" % tag))):
            run(base + ["--input", gin, "--inf-type", "spatial", "--mask", mp, "--save-path", pred, "--tag", tag], log)
        d = glob.glob(os.path.join(pred, "*_%s_spatial" % tag))[0]
        for nm in group: ramp_out[nm] = os.path.join(d, nm, nm + "_spatial.png")
    cp = os.path.join(out, "const05.npy"); np.save(cp, np.full((8, 8), 0.5, np.float32))
    if not (a.keep and glob.glob(os.path.join(pred, "*_c05_spatial"))):
        run(base + ["--input", dark_dir, "--inf-type", "spatial", "--mask", cp, "--mask-resize", "--save-path", pred,
                    "--tag", "c05"], log)
    dC = glob.glob(os.path.join(pred, "*_c05_spatial"))[0]

    # ---- per image
    rows, bright = [], []
    keep_pics = {}
    for nm in names:
        x = imread(os.path.join(dark_dir, nm + ".png")); gt = imread(os.path.join(clean_dir, nm + ".png"))
        lv = [imread(os.path.join(traj, nm, "%s_enhlvl_%02d.png" % (nm, i))) for i in range(21)]
        if lv[0].shape != gt.shape: sys.exit("%s: output %s vs clean %s" % (nm, lv[0].shape, gt.shape))
        ps = [psnr(l, gt) for l in lv]; bi = int(np.argmax(ps))
        b = [float(l.astype(np.float64).mean()) for l in lv]; bright.append(b)
        r = {"image": nm, "width": x.shape[1], "height": x.shape[0], "input_mean": float(x.mean()),
             "clean_mean": float(gt.mean())}
        for k, v in metrics(x, gt).items(): r["input_" + k] = v
        for k, v in metrics(lv[bi], gt).items(): r["model_" + k] = v
        r["model_best_level"] = LEVELS[bi]
        if dH:
            fh = sorted(f for f in os.listdir(os.path.join(dH, nm)) if "_enhlvl_" in f and not f.endswith("_99.png"))
            hv = [imread(os.path.join(dH, nm, f)) for f in fh]
            allv, alll = lv + hv, LEVELS + high
            wi = int(np.argmax([psnr(l, gt) for l in allv]))
            for k, v in metrics(allv[wi], gt).items(): r["wide_" + k] = v
            r["wide_best_level"] = alll[wi]
        for k, v in metrics(lv[20], gt).items(): r["level1_" + k] = v
        gi_ = best_curve(x, gt, GAMMA_LUT); yg = GAMMA_LUT[gi_][x]
        for k, v in metrics(yg, gt).items(): r["gamma_" + k] = v
        r["gamma_g"] = float(GAMMAS[gi_])
        ki = best_curve(x, gt, GAIN_LUT); yk = GAIN_LUT[ki][x]
        for k, v in metrics(yk, gt).items(): r["gain_" + k] = v
        r["gain_k"] = float(GAINS[ki])
        r["strictly_rising_21"] = int(all(b[i] < b[i + 1] for i in range(20)))
        r["level0_vs_input_mad"] = float(np.abs(lv[0].astype(float) - x).mean())
        # ramp
        o = imread(ramp_out[nm]).astype(np.float64); w = o.shape[1]
        edges = np.linspace(0, w, 11).round().astype(int)
        bands = [float(o[:, edges[i]:edges[i + 1]].mean()) for i in range(10)]
        inb = [float(x[:, edges[i]:edges[i + 1]].astype(float).mean()) for i in range(10)]
        r["ramp_bands"] = " ".join("%.1f" % v for v in bands)
        r["ramp_strictly_rising"] = int(all(bands[i] < bands[i + 1] for i in range(9)))
        r["ramp_left_gain"] = bands[0] - inb[0]; r["ramp_right_gain"] = bands[9] - inb[9]
        r["ramp_left_ratio"] = bands[0] / max(inb[0], 1e-6); r["ramp_right_ratio"] = bands[9] / max(inb[9], 1e-6)
        # content-free view: the level of the exhaustive run whose band is nearest (mean abs diff) to the ramp's band
        eff = [LEVELS[int(np.argmin([np.abs(o[:, edges[i]:edges[i + 1]] - l[:, edges[i]:edges[i + 1]]).mean()
                                     for l in lv]))] for i in range(10)]
        r["ramp_eff_levels"] = " ".join("%.2f" % v for v in eff)
        r["ramp_eff_nondecreasing"] = int(all(eff[i] <= eff[i + 1] for i in range(9)))
        e0, e1 = edges[1], edges[9]
        r["ramp_left_vs_level0_mad"] = float(np.abs(o[:, :e0] - lv[0][:, :e0]).mean())
        r["ramp_right_vs_level1_mad"] = float(np.abs(o[:, e1:] - lv[20][:, e1:]).mean())
        c05 = imread(os.path.join(dC, nm, nm + "_spatial.png")).astype(np.float64)
        r["const05_vs_level05_mad"] = float(np.abs(c05 - lv[10]).mean())
        r["const05_minus_level05_mean"] = float(c05.mean() - lv[10].mean())
        # border
        r["border_mad_model"] = border_mad(lv[bi]); r["border_mad_clean"] = border_mad(gt)
        r["border_signed_model"] = border_signed(lv[bi]); r["border_signed_clean"] = border_signed(gt)
        for tag, im in (("best", lv[bi]), ("level1", lv[20])):
            for side, v in zip(("top", "bottom", "left", "right"), edge_ratios(im, gt)): r["edge_%s_%s" % (tag, side)] = v
        rows.append(r)
        keep_pics[nm] = (x, lv, yg, gt, o.astype(np.uint8))

    cols = list(rows[0].keys())
    with open(os.path.join(out, "per_image.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, cols, lineterminator="\n"); wr.writeheader()
        for r in rows: wr.writerow({k: ("%.4f" % v if isinstance(v, float) else v) for k, v in r.items()})

    M = lambda k: float(np.mean([r[k] for r in rows]))
    bright = np.array(bright)
    res = {"n_images": len(rows), "checkpoint": a.checkpoint, "config": a.config, "heldout": a.heldout,
           "methods": {m: {"psnr": M(m + "_psnr"), "ssim": M(m + "_ssim"), "chroma": M(m + "_chroma")}
                       for m in ("input", "model", "level1", "gamma", "gain") + (("wide",) if dH else ())},
           "model_best_level_mean": M("model_best_level"),
           "model_best_levels": [r["model_best_level"] for r in rows],
           "wide_best_levels": [r["wide_best_level"] for r in rows] if dH else None,
           "gamma_g_mean": M("gamma_g"), "gain_k_mean": M("gain_k"),
           "brightness_levels": [round(float(v), 2) for v in bright.mean(0)], "levels": LEVELS,
           "input_brightness": M("input_mean"), "clean_brightness": M("clean_mean"),
           "strictly_rising_21": int(sum(r["strictly_rising_21"] for r in rows)),
           "level0_vs_input_mad": M("level0_vs_input_mad"),
           "continuity": cont,
           "ramp": {"band_brightness": [round(float(v), 2) for v in
                                        np.mean([[float(s) for s in r["ramp_bands"].split()] for r in rows], 0)],
                    "strictly_rising_images": int(sum(r["ramp_strictly_rising"] for r in rows)),
                    "effective_levels": [round(float(v), 3) for v in
                                         np.mean([[float(s) for s in r["ramp_eff_levels"].split()] for r in rows], 0)],
                    "effective_nondecreasing_images": int(sum(r["ramp_eff_nondecreasing"] for r in rows)),
                    "all_strictly_rising": all(r["ramp_strictly_rising"] for r in rows),
                    "left_gain": M("ramp_left_gain"), "right_gain": M("ramp_right_gain"),
                    "left_ratio": M("ramp_left_ratio"), "right_ratio": M("ramp_right_ratio"),
                    "left_vs_level0_mad": M("ramp_left_vs_level0_mad"),
                    "right_vs_level1_mad": M("ramp_right_vs_level1_mad")},
           "const05_vs_level05_mad": M("const05_vs_level05_mad"),
           "const05_minus_level05_mean": M("const05_minus_level05_mean"),
           "border": {"mad_model": M("border_mad_model"), "mad_clean": M("border_mad_clean"),
                      "signed_model": M("border_signed_model"), "signed_clean": M("border_signed_clean")},
           "edge_ratio": {t: {sd: M("edge_%s_%s" % (t, sd)) for sd in ("top", "bottom", "left", "right")}
                          for t in ("best", "level1")},
           "predict_seconds": timing}
    if a.json:
        with open(a.json, "w") as f: json.dump(res, f, indent=1)
    with open(os.path.join(out, "results.json"), "w") as f: json.dump(res, f, indent=1)

    # ---- picture sheet
    pick = [n for n in names if n.startswith("lomiri16_")][:2] + [n for n in names if not n.startswith("lomiri16_")][:2]
    pick = (pick + [n for n in names if n not in pick])[:4]
    cell = 192; heads = ["dark input", "level 0.25", "level 0.5", "level 0.75", "level 1.0", "best gamma", "original",
                         "ramp 0 -> 1"]
    sheet = Image.new("RGB", (cell * len(heads), 16 + len(pick) * (cell * 3 // 4 + 4)), (24, 24, 24))
    dr = ImageDraw.Draw(sheet)
    for j, hname in enumerate(heads): dr.text((j * cell + 4, 2), hname, fill=(255, 255, 255))
    for i, nm in enumerate(pick):
        x, lv, yg, gt, o = keep_pics[nm]
        for j, im in enumerate([x, lv[5], lv[10], lv[15], lv[20], yg, gt, o]):
            t = Image.fromarray(im); t.thumbnail((cell - 4, cell * 3 // 4), Image.BOX)
            sheet.paste(t, (j * cell + 2, 16 + i * (cell * 3 // 4 + 4)))
    sheet.save(os.path.join(out, "sheet.png"))

    # ---- markdown
    md = ["Held-out photos: %d (%s)" % (len(rows), a.heldout), "",
          "| method | PSNR (dB) | SSIM | chroma err (ab) | chosen per image (mean) |",
          "| --- | --- | --- | --- | --- |"]
    lab = {"input": ("dark input", "-"), "model": ("model, best of 21 levels", "level %.2f" % res["model_best_level_mean"]),
           "level1": ("model, level 1.0", "-"), "gamma": ("gamma curve (best g)", "g = %.3f" % res["gamma_g_mean"]),
           "gain": ("global gain (best k)", "k = %.2f" % res["gain_k_mean"])}
    if dH:
        lab["wide"] = ("model, best level in [0, %g]" % a.best_max, "level %.2f" % float(np.mean(res["wide_best_levels"])))
    for m in ("input", "model", "level1") + (("wide",) if dH else ()) + ("gamma", "gain"):
        v = res["methods"][m]
        md.append("| %s | %.2f | %.3f | %.2f | %s |" % (lab[m][0], v["psnr"], v["ssim"], v["chroma"], lab[m][1]))
    bl = res["brightness_levels"]
    md += ["", "Slider (mean brightness, 0..255; input %.1f, clean %.1f):" % (res["input_brightness"], res["clean_brightness"]), "",
           "| level | " + " | ".join("%.2f" % l for l in LEVELS[::2]) + " |",
           "| --- | " + " | ".join("---" for _ in LEVELS[::2]) + " |",
           "| brightness | " + " | ".join("%.1f" % v for v in bl[::2]) + " |", "",
           "| slider / map check | value |", "| --- | --- |",
           "| images rising strictly over all 21 levels | %d / %d |" % (res["strictly_rising_21"], len(rows)),
           "| level 0 vs input, mean abs diff | %.2f |" % res["level0_vs_input_mad"],
           "| best level per image | %s |" % " ".join("%.2f" % v for v in res["model_best_levels"])]
    c = cont
    md.append("| continuity (%s): Range / Smoothness / AbsLinearity / RelLinearity | %s / %s / %s / %s |" % (
        c.get("distance", "lpips"), *("%.4f" % c[k] if isinstance(c.get(k), (int, float)) else str(c.get(k))
                                      for k in ("Range", "Smoothness", "AbsoluteLinearity", "RelativeLinearity"))))
    rp = res["ramp"]
    md += ["| ramp mask: band brightness (10 bands) | %s |" % " ".join("%.1f" % v for v in rp["band_brightness"]),
           "| ramp mask: images rising strictly across bands | %d / %d |" % (rp["strictly_rising_images"], len(rows)),
           "| ramp mask: effective level per band (nearest of the 21 levels; ideal 0.05 .. 0.95) | %s |" % " ".join(
               "%.2f" % v for v in rp["effective_levels"]),
           "| ramp mask: images whose effective level never falls across bands | %d / %d |" % (
               rp["effective_nondecreasing_images"], len(rows)),
           "| ramp mask: left / right band gain over input (grey levels; ratio) | %+.1f / %+.1f (x%.2f / x%.2f) |" % (
               rp["left_gain"], rp["right_gain"], rp["left_ratio"], rp["right_ratio"]),
           "| ramp mask: left band vs level 0 / right band vs level 1, mean abs diff | %.1f / %.1f |" % (
               rp["left_vs_level0_mad"], rp["right_vs_level1_mad"]),
           "| constant 0.5 mask vs level 0.5, mean abs diff (mean brightness diff) | %.1f (%+.1f) |" % (
               res["const05_vs_level05_mad"], res["const05_minus_level05_mean"]),
           "| border: outer 8 px ring vs next ring, mean abs diff, model best level / clean | %.2f / %.2f |" % (
               res["border"]["mad_model"], res["border"]["mad_clean"]),
           "| border: outer ring minus next ring brightness, model / clean | %+.2f / %+.2f |" % (
               res["border"]["signed_model"], res["border"]["signed_clean"])]
    for t, lab_ in (("best", "best level"), ("level1", "level 1.0")):
        e = res["edge_ratio"][t]
        md.append("| edges: 32-px band brightness vs centre, relative to clean (1 = none), %s: top / bottom / left / right "
                  "| %.2f / %.2f / %.2f / %.2f |" % (lab_, e["top"], e["bottom"], e["left"], e["right"]))
    text = "\n".join(md) + "\n"
    with open(os.path.join(out, "results.md"), "w") as f: f.write(text)
    print(text)


if __name__ == "__main__":
    main()
