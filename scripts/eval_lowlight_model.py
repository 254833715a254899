#!/usr/bin/env python3
"""Measures a low-light generator against issue #6's bar, on held-out crops of chelsea (never in training):

  python3 scripts/eval_lowlight_model.py MODEL.safetensors OUTDIR [DATAROOT [CONFIG]]

test80: Tests/Fixtures/heldout (10 pairs, 80x80); val128: the odd crops of DATAROOT/testA_Dark + testB_Normal from
scripts/make_lowlight_dataset.py (default /tmp/monopix-lowlight/data). Prints JSON: mean brightness of the input and
of levels 0, 0.1, ..., 1 (`monopix predict --n-search 10`), how many images rise strictly over all 11 levels (and from
0.2 up), PSNR of the input and of level 1 to the photo (and the best level's), SSIM (gray) of the input and level 1,
the colour cast of level 1 (L1 distance of its chromaticity to the photo's x100, and (R - B) / mean for both), the
left-0 / right-1 mask on assets/samples/chelsea_dark.png (right-half gain, |left half - input|), and the time of one
whole `monopix predict` process.
"""
import sys, os, subprocess, shutil, json, time, numpy as np
from skimage import io
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build/release/monopix")
CFG = sys.argv[4] if len(sys.argv) > 4 else os.path.join(ROOT, "configs/MonoPix_LowLight_Small.yaml")
ckpt = sys.argv[1]
out = sys.argv[2]
DATA = sys.argv[3] if len(sys.argv) > 3 else "/tmp/monopix-lowlight/data"
shutil.rmtree(out, ignore_errors=True); os.makedirs(out)
sets = {
  "test80": (os.path.join(ROOT, "Tests/Fixtures/heldout"), "dark_", "normal_"),
  "val128": (DATA, None, None),
}
def psnr(a, b):
    m = np.mean((a.astype(float) - b.astype(float)) ** 2); return 10 * np.log10(255 ** 2 / m)
def run(inp, tag):
    subprocess.run(["nice", "-n", "5", BIN, "predict", "--config", CFG, "--checkpoint", ckpt, "--input", inp, "--lower", "0",
                    "--higher", "1", "--n-search", "10", "--save-path", out, "--tag", tag], check=True, capture_output=True)
    d = [os.path.join(out, x) for x in os.listdir(out) if tag in x][0]
    return d
res = {}
# test fixtures
tmp = os.path.join(out, "in_test"); os.makedirs(tmp)
for f in sorted(os.listdir(sets["test80"][0])):
    if f.startswith("dark_"): shutil.copy(os.path.join(sets["test80"][0], f), tmp)
tmpv = os.path.join(out, "in_val"); os.makedirs(tmpv)
for f in sorted(os.listdir(os.path.join(DATA, "testA_Dark"))):
    if int(f[-6:-4]) % 2 == 1: shutil.copy(os.path.join(os.path.join(DATA, "testA_Dark"), f), tmpv)
def evalset(name, inp, gtfor):
    d = run(inp, name)
    ss = []; ssin = []; pbest = []
    B = []; rising = 0; rising02 = 0; pin = []; pout = []; cast = []; rb = []; rbgt = []
    for img in sorted(os.listdir(d)):
        lv = [io.imread(os.path.join(d, img, "%s_enhlvl_%02d.png" % (img, i)))[..., :3] for i in range(11)]
        x = io.imread(os.path.join(d, img, "%s_enhlvl_99.png" % img))[..., :3]
        gt = io.imread(gtfor(img))[..., :3]
        b = [l.astype(float).mean() for l in lv]; B.append([x.astype(float).mean()] + b)
        rising += all(b[i] < b[i + 1] for i in range(10)); rising02 += all(b[i] < b[i + 1] for i in range(2, 10))
        pin.append(psnr(gt, x)); pout.append(psnr(gt, lv[10]))
        from skimage.metrics import structural_similarity as ssim
        g = lambda im: im.astype(float).mean(2)
        ss.append(ssim(g(gt), g(lv[10]), data_range=255)); ssin.append(ssim(g(gt), g(x), data_range=255))
        pbest.append(max(psnr(gt, l) for l in lv))
        ch = lambda im: im.reshape(-1, 3).astype(float).mean(0)
        co, cg = ch(lv[10]), ch(gt)
        cast.append(np.abs(co / co.sum() - cg / cg.sum()).sum() * 100)
        rb.append((co[0] - co[2]) / co.mean()); rbgt.append((cg[0] - cg[2]) / cg.mean())
    B = np.array(B).mean(0)
    n = len(pin)
    return {"n": n, "input": round(B[0], 1), "levels": [round(v, 1) for v in B[1:]], "strict": rising, "strict_from_0.2": rising02,
            "psnr_in": round(np.mean(pin), 2), "psnr_l1": round(np.mean(pout), 2), "psnr_best": round(np.mean(pbest), 2), "ssim_in": round(np.mean(ssin), 3), "ssim_l1": round(np.mean(ss), 3), "chroma_err_l1": round(np.mean(cast), 2),
            "RminusB_rel_out": round(np.mean(rb), 3), "RminusB_rel_gt": round(np.mean(rbgt), 3)}
res["test80"] = evalset("test80", tmp, lambda img: os.path.join(sets["test80"][0], img.replace("dark_", "normal_") + ".png"))
res["val128"] = evalset("val128", tmpv, lambda img: os.path.join(DATA, "testB_Normal", img + ".png"))
# spatial: left 0 / right 1 on the chelsea sample
s = io.imread(os.path.join(ROOT, "assets/samples/chelsea_dark.png"))[..., :3]
h, w = s.shape[:2]; m = np.zeros((h, w), np.float32); m[:, w // 2:] = 1
np.save(os.path.join(out, "mask.npy"), m)
sp = os.path.join(out, "sp"); os.makedirs(sp); shutil.copy(os.path.join(ROOT, "assets/samples/chelsea_dark.png"), sp)
subprocess.run(["nice", "-n", "5", BIN, "predict", "--config", CFG, "--checkpoint", ckpt, "--input", sp, "--inf-type", "spatial",
                "--mask", os.path.join(out, "mask.npy"), "--save-path", out, "--tag", "sp"], check=True, capture_output=True)
f = [os.path.join(r, x) for r, _, fs in os.walk(out) for x in fs if x.endswith("_spatial.png")][0]
o = io.imread(f)[..., :3].astype(float)
L, R = slice(0, w // 2 - 48), slice(w // 2 + 48, w)
res["spatial"] = {"right_gain": round(o[:, R].mean() - s[:, R].mean(), 1), "left_diff": round(abs(o[:, L].mean() - s[:, L].mean()), 2)}
t = time.time(); subprocess.run([BIN, "predict", "--config", CFG, "--checkpoint", ckpt, "--input", os.path.join(tmp, "dark_00.png"), "--n-search", "1", "--save-path", out + "/t"], check=True, capture_output=True)
res["load_predict_s"] = round(time.time() - t, 2)
print(json.dumps(res, indent=1))
