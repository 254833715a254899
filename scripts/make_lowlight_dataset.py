#!/usr/bin/env python3
"""Builds the unpaired low-light dataset the bundled model is trained on, and the bundled sample images.

Sources: photographs shipped by scikit-image (pip install scikit-image), each openly licensed
(see assets/models/lowlight-small/README.md): astronaut (NASA, public domain), coffee (Rachel Michetti, CC0),
rocket (SpaceX, public domain) for training; chelsea (Stefan van der Walt, CC0) held out for evaluation.

  python3 scripts/make_lowlight_dataset.py DATAROOT [--crops 400] [--size 64] [--samples assets/samples] [--debian-photos]

writes DATAROOT/trainA_Dark (darkened crops), DATAROOT/trainB_Normal (normal crops, never the same crop as any
dark one), DATAROOT/testA_Dark + DATAROOT/testB_Normal (held-out pairs from chelsea: the dark input and the photo
it came from). Deterministic for a --seed.
"""
import argparse, os, zlib, struct
import numpy as np
from skimage import data, transform

TRAIN = {"astronaut": data.astronaut, "coffee": data.coffee, "rocket": data.rocket}
HELD_OUT = {"chelsea": data.chelsea}

# --debian-photos: openly licensed photographs that Debian's lomiri-wallpapers package installs
# (apt-get install lomiri-wallpapers; licences in /usr/share/doc/lomiri-wallpapers/copyright and in
# assets/models/lowlight-small/README.md). Only CC-BY-4.0 and CC0-1.0 photos; more varied colour than skimage's warm
# coffee and rocket. Each is scaled to 512 pixels wide first, like skimage's photos.
DEBIAN_DIR = "/usr/share/backgrounds"
DEBIAN_PHOTOS = [
    "aitzgorri_by_Aitzol_Berasategi.jpg",      # Aitzol Berasategi, CC-BY-4.0 (mountains, meadow, sky)
    "picosdeeuropa_by_Aitzol_Berasategi.jpg",  # Aitzol Berasategi, CC-BY-4.0 (mountains, path, clouds)
    "life_by_Aitzol_Berasategi.jpg",           # Aitzol Berasategi, CC-BY-4.0 (stream between grey rocks)
    "friends_by_Aitzol_Berasategi.jpg",        # Aitzol Berasategi, CC-BY-4.0 (dogs on a grey wooden porch)
    "Picture_1A_by_freespace.jpg",             # Trevor "Freespace", CC-BY-4.0 (paint brushes, many colours)
    "seeding_by_Clements_Engelhardt.jpg",      # Clemens Engelhardt, CC0-1.0 (dandelions in a meadow)
]

def debian_photo(name):
    def load():
        from skimage import io
        img = io.imread(os.path.join(DEBIAN_DIR, name))[..., :3].astype(np.float64)
        h, w = img.shape[:2]
        return transform.resize(img, (round(h * 512 / w), 512), anti_aliasing=True, preserve_range=True)
    return load

def write_png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f: f.write(png)
    os.replace(tmp, path)

def darken(rgb, rng):
    """Low light as a camera sees it: exposure cut, a gamma, and sensor-like noise (shot + read), varied per image."""
    x = rgb.astype(np.float64) / 255
    exposure = rng.uniform(0.12, 0.35)
    gamma = rng.uniform(1.2, 1.8)
    x = (x ** gamma) * exposure
    shot = rng.uniform(0.002, 0.01)
    read = rng.uniform(0.002, 0.01)
    x = x + rng.normal(0, 1, x.shape) * np.sqrt(shot * np.maximum(x, 0) + read ** 2)
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)

def crops(img, size, count, rng, scales=(0.35, 0.5, 0.7)):
    out = []
    for _ in range(count):
        s = rng.choice(scales)
        small = transform.rescale(img, s, channel_axis=2, anti_aliasing=True, preserve_range=True)
        h, w = small.shape[:2]
        y, x = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
        crop = small[y:y + size, x:x + size]
        if rng.random() < 0.5: crop = crop[:, ::-1]
        out.append(np.clip(crop + 0.5, 0, 255).astype(np.uint8))
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataroot")
    ap.add_argument("--crops", type=int, default=400, help="crops per domain")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--samples", help="also write the bundled sample images into this folder (assets/samples)")
    ap.add_argument("--debian-photos", action="store_true",
                    help="also train on %d photos of Debian's lomiri-wallpapers (after the held-out set, from their own "
                         "random stream, so the skimage crops and the held-out pairs stay as without it)" % len(DEBIAN_PHOTOS))
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    dirs = {k: os.path.join(a.dataroot, k) for k in ["trainA_Dark", "trainB_Normal", "testA_Dark", "testB_Normal"]}
    for d in dirs.values(): os.makedirs(d, exist_ok=True)
    per = a.crops // len(TRAIN) + 1
    n = 0
    for name, load in TRAIN.items():
        img = load()
        # Independent crop draws for each domain: a dark crop and a normal crop are never the same crop.
        for i, c in enumerate(crops(img, a.size, per, rng)):
            write_png(os.path.join(dirs["trainA_Dark"], "%s_%03d.png" % (name, i)), darken(c, rng)); n += 1
        for i, c in enumerate(crops(img, a.size, per, rng)):
            write_png(os.path.join(dirs["trainB_Normal"], "%s_%03d.png" % (name, i)), c)
    for name, load in HELD_OUT.items():
        for i, c in enumerate(crops(load(), a.size * 2, 20, rng, scales=(0.5, 0.7))):
            write_png(os.path.join(dirs["testB_Normal"], "%s_%02d.png" % (name, i)), c)
            write_png(os.path.join(dirs["testA_Dark"], "%s_%02d.png" % (name, i)), darken(c, rng))
    if a.debian_photos:
        missing = [f for f in DEBIAN_PHOTOS if not os.path.exists(os.path.join(DEBIAN_DIR, f))]
        if missing:
            raise SystemExit("missing %s: apt-get install lomiri-wallpapers" % ", ".join(missing))
        drng = np.random.default_rng(a.seed + 1000)
        for f in DEBIAN_PHOTOS:
            name, img = f.split("_by_")[0], debian_photo(f)()
            for i, c in enumerate(crops(img, a.size, per, drng)):
                write_png(os.path.join(dirs["trainA_Dark"], "%s_%03d.png" % (name, i)), darken(c, drng)); n += 1
            for i, c in enumerate(crops(img, a.size, per, drng)):
                write_png(os.path.join(dirs["trainB_Normal"], "%s_%03d.png" % (name, i)), c)
    if a.samples:
        # The studio's bundled samples: small, and the low-light ones darkened the same way as domain A.
        os.makedirs(a.samples, exist_ok=True)
        srng = np.random.default_rng(7)
        def small(img, width): return np.clip(transform.resize(img, (int(img.shape[0] * width / img.shape[1]), width), anti_aliasing=True, preserve_range=True) + 0.5, 0, 255).astype(np.uint8)
        write_png(os.path.join(a.samples, "chelsea_dark.png"), darken(small(data.chelsea(), 320), srng))
        write_png(os.path.join(a.samples, "coffee_dark.png"), darken(small(data.coffee(), 320), srng))
        write_png(os.path.join(a.samples, "astronaut.png"), small(data.astronaut(), 256))
    print("wrote %d dark / %d normal training crops and 20 held-out pairs under %s" % (n, n, a.dataroot))

if __name__ == "__main__":
    main()
