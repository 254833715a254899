#!/usr/bin/env python3
"""Builds the low-light training / held-out photo data set from openly licensed Debian (bookworm) packages (issue #17).

  python3 scripts/make_photo_dataset.py DATAROOT [--cache DIR] [--seed 0] [--fixtures DIR] [--manifest-copy CSV]

Steps (re-runnable: downloads and extractions that exist are skipped; every output file is written to a temporary
name and moved into place with os.replace):
  1. `apt-get download PKG` into CACHE/debs and `dpkg-deb -x` into CACHE/x/PKG (nothing is installed).
  2. Every image file of those packages is a candidate. A simple statistic (colour count of a 256-px thumbnail and the
     fraction of flat horizontal gradients) rejects flat/drawn artwork; then the explicit allow-list below (made by
     looking at contact sheets) decides. Plasma wallpapers ship one image per resolution: only the largest of each
     wallpaper is a candidate. Exact duplicates (sha256 of the decoded pixels) and near duplicates (16x16 grey
     thumbnails within 6/255 mean absolute difference) are dropped.
  3. Licence and author of each file come from usr/share/doc/PKG/copyright, parsed per file when it is DEP-5 (last
     matching Files: stanza wins, patterns matched against every tail of the installed path), else the package-wide
     licence; a Plasma wallpaper's metadata.json and a Palapeli puzzle's .desktop file name their own author/licence.
  4. Output (what the trainer reads):
       DATAROOT/trainA_Dark/NAME.png   darkened training image (NAME = SOURCE_s{384,256}_v{0,1,2})
       DATAROOT/trainA_Clean/NAME.png  the clean image it was darkened from (same name, same size, pixel-aligned)
       DATAROOT/trainB_Normal/SOURCE_s{384,256}.png  the clean photos (normal-light domain)
       DATAROOT/heldout/{dark,clean}/SOURCE.png  held-out photos, longer side 512, one darkened variant (fixed seed)
       DATAROOT/manifest.csv (also copied to docs/model-data-manifest.csv), contact_train.png, contact_heldout.png
     and, with --fixtures (default Tests/Fixtures/heldout-photos in the repo), a small CI subset: 6 held-out photos at
     a longer side of 160 (dark_NAME.png, clean_NAME.png) with MANIFEST.csv and README.md.
HELD OUT (never in training): palapeli-data, puzzle-jigsaw (samples/), and the whole lomiri-wallpapers-16.04 package.
tetzle was checked: it ships no photographs.
"""
import argparse, bz2, csv, fnmatch, glob, hashlib, io, json, os, re, subprocess, sys, zlib
import numpy as np
from PIL import Image, ImageDraw, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TRAIN_PACKAGES = ["lomiri-wallpapers-20.04", "lxqt-themes", "mate-backgrounds", "plasma-workspace-wallpapers",
                  "kphotoalbum", "opencv-doc", "python3-scipy",
                  # looked at, no photographs (kept so the manifest records them as excluded):
                  "gnome-backgrounds", "lomiri-wallpapers", "sway-backgrounds", "ukui-wallpapers", "xfdesktop4-data"]
HELDOUT_PACKAGES = ["palapeli-data", "puzzle-jigsaw", "lomiri-wallpapers-16.04"]
PACKAGES = TRAIN_PACKAGES + HELDOUT_PACKAGES
SHORT = {"lomiri-wallpapers-20.04": "lomiri20", "lomiri-wallpapers-16.04": "lomiri16", "lomiri-wallpapers": "lomiri",
         "lxqt-themes": "lxqt", "mate-backgrounds": "mate", "plasma-workspace-wallpapers": "plasma",
         "kphotoalbum": "kpa", "opencv-doc": "opencv", "python3-scipy": "scipy", "palapeli-data": "palapeli",
         "puzzle-jigsaw": "pjigsaw", "gnome-backgrounds": "gnome", "sway-backgrounds": "sway",
         "ukui-wallpapers": "ukui", "xfdesktop4-data": "xfce"}

# Where each package keeps its pictures (anything else, icons, UI, docs, is not a candidate).
IMAGE_DIRS = {
    "gnome-backgrounds": ["usr/share/backgrounds/gnome"], "lomiri-wallpapers": ["usr/share/backgrounds"],
    "lomiri-wallpapers-16.04": ["usr/share/backgrounds"], "lomiri-wallpapers-20.04": ["usr/share/backgrounds"],
    "lxqt-themes": ["usr/share/lxqt/wallpapers"], "mate-backgrounds": ["usr/share/backgrounds/mate"],
    "plasma-workspace-wallpapers": ["usr/share/wallpapers"], "sway-backgrounds": ["usr/share/backgrounds/sway"],
    "ukui-wallpapers": ["usr/share/backgrounds"], "xfdesktop4-data": ["usr/share/backgrounds/xfce"],
    "kphotoalbum": ["usr/share/kphotoalbum/demo"], "opencv-doc": ["usr/share/doc/opencv-doc/examples/data"],
    "python3-scipy": ["usr/lib/python3/dist-packages/scipy/misc/face.dat"],
    "palapeli-data": ["usr/share/palapeli/collection", "usr/share/palapeli/backgrounds"],
    "puzzle-jigsaw": ["usr/share/puzzle-jigsaw/samples"],
}

# The explicit allow-list (decided by eye on contact sheets, 2026-12-07): photographs only. Everything else found in
# IMAGE_DIRS is excluded (abstract / drawn / rendered / logos / textures / stereo or near-duplicate pairs).
D = lambda pre, names: {pre + n for n in names.split()}
ALLOW = {
    "lomiri-wallpapers-16.04": D("usr/share/backgrounds/", "Bridge_by_Sander_Klootwijk.jpg Dragonfly_by_Bolly.jpg "
        "Picture_0B_by_freespace.jpg Picture_1A_by_freespace.jpg Wine_by_Jakkub_Mede.jpg aitzgorri_by_Aitzol_Berasategi.jpg "
        "free_by_Peter_Nerlich.jpg friends_by_Aitzol_Berasategi.jpg greentock_by_Peter_Nerlich.jpg "
        "life_by_Aitzol_Berasategi.jpg picosdeeuropa_by_Aitzol_Berasategi.jpg seeding_by_Clements_Engelhardt.jpg "
        "sunset_by_Aitzol_Berasategi.jpg"),  # not: analogpattern (film-grain pattern), umang (abstract)
    "lomiri-wallpapers-20.04": D("usr/share/backgrounds/", "Kleiber_by_Lukas_Baubkus.jpg"),  # Infinite-Sea: tinted composite
    "lxqt-themes": D("usr/share/lxqt/wallpapers/", "Butterfly-Kenneth-Wimer.jpg Valendas.png after-the-rain.jpg "
        "appleflower.png beam.png butterfly.png cloud.png drop.png flowers.png fog.jpg this-is-not-windows.jpg"),
    "mate-backgrounds": D("usr/share/backgrounds/mate/nature/", "Aqua.jpg Blinds.jpg Dune.jpg FreshFlower.jpg Garden.jpg "
        "GreenMeadow.jpg LadyBird.jpg RainDrops.jpg Storm.jpg TwoWings.jpg Wood.jpg YellowFlower.jpg"),
    # Plasma: by wallpaper id (the largest image of contents/images). Not: Volna (render), Altai, Autumn, Canopee...
    "plasma-workspace-wallpapers": {"BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow",
        "FallenLeaf", "Grey", "Kite", "OneStandsOut", "Path", "summer_1am"},
    "kphotoalbum": D("usr/share/kphotoalbum/demo/", "anne_helene.jpg bar55.jpg bar55_2.jpg blackie.jpg cold_water.jpg "
        "donna.jpg donna_2.jpg grand_canyon_1.jpg grand_canyon_2.jpg grand_canyon_3.jpg jesper.jpg jesper_2.jpg "
        "new_wave_1.jpg new_wave_2.jpg pool.jpg pool_2.jpg qt-logo.jpg skagen.jpg skagen_2.jpg snow.jpg spiff.jpg "
        "spiff_2.jpg sunset.jpg wayne.jpg"),
    # OpenCV samples: one image of each stereo/sequence pair (aloeL not aloeR, left not right, leuvenA, rubberwhale1,
    # ela_original, graf1); not: synthetic/test charts, logos, text, the painting, motion-blurred plate, messi5.
    "opencv-doc": D("usr/share/doc/opencv-doc/examples/data/", "aero1.jpg aero3.jpg aloeL.jpg apple.jpg baboon.jpg "
        "board.jpg building.jpg butterfly.jpg chicky_512.png ela_original.jpg fruits.jpg graf1.png home.jpg left.jpg "
        "leuvenA.jpg orange.jpg rubberwhale1.png smarties.png squirrel_cls.jpg stuff.jpg"),
    "python3-scipy": {"usr/lib/python3/dist-packages/scipy/misc/face.dat"},
    "palapeli-data": D("usr/share/palapeli/collection/", "castle-maintenon.jpg cincinnati-bridge.jpg citrus-fruits.jpg "
        "european-honey-bee.jpg panther-chameleon-female.jpg"),  # backgrounds/: 512 px textures
    "puzzle-jigsaw": D("usr/share/puzzle-jigsaw/samples/", "cat-animal-cat-portrait-mackerel.jpg pexels-photo-302304.jpeg"),
}
# Non-DEP-5 copyright files: the package-wide statement.
PACKAGE_WIDE = {"kphotoalbum": ("Jesper K. Pedersen and the KPhotoAlbum authors", "GPL-2+")}
# CI subset (licences allow redistribution: CC0 / CC-BY / CC-BY-SA).
FIXTURES = ["lomiri16_picosdeeuropa_by_Aitzol_Berasategi", "lomiri16_seeding_by_Clements_Engelhardt",
            "lomiri16_Dragonfly_by_Bolly", "lomiri16_friends_by_Aitzol_Berasategi", "pjigsaw_pexels-photo-302304",
            "pjigsaw_cat-animal-cat-portrait-mackerel"]
TRAIN_SIDES = (384, 256)
VARIANTS = 3
HELDOUT_SIDE = 512
HELDOUT_SEED = 1000  # held-out darkening does not depend on --seed
FIXTURE_SIDE = 160
IMG_EXT = (".jpg", ".jpeg", ".png", ".webp", ".dat")


def darken(rgb, rng):
    """Darkens a clean uint8 RGB photo (H, W, 3) into a plausible low-light capture; returns uint8 (H, W, 3).

    All parameters are drawn from `rng` (numpy Generator), in this order:
      exposure e      log-uniform in [0.05, 0.4]     light reaching the sensor, relative to the clean photo
      gains (gR, gB)  uniform in [0.85, 1.15] each   colour-temperature shift, relative to G (gG = 1)
      gamma g         uniform in [1.2, 2.2]          display -> linear-ish light exponent for this shot
      full well F     log-uniform in [1000, 20000]   photo-electrons at full scale (shot-noise strength)
      read noise r    log-uniform in [5e-4, 4e-3]    read-noise std, full scale = 1 (0.13 .. 1 grey level)
    Model (the usual synthetic low-light model, LLNet / Zero-DCE style, plus sensor noise): the clean photo is taken to
    linear-ish light L = (x / 255) ** g; the dark signal is S = e * gain_c * L (a mid-grey 128 lands at about 1..45);
    sensor noise is the Poisson-Gaussian approximation S + N(0, S / F + r^2), independent per pixel and channel
    (shot noise grows with the signal, read noise dominates the deep shadows); the result is clipped to [0, 1] and
    quantised to 8 bits (round), so the darkest tones band like a real under-exposed 8-bit capture.
    """
    e = float(np.exp(rng.uniform(np.log(0.05), np.log(0.4))))
    gr, gb = rng.uniform(0.85, 1.15, size=2)
    g = float(rng.uniform(1.2, 2.2))
    fw = float(np.exp(rng.uniform(np.log(1000), np.log(20000))))
    rd = float(np.exp(rng.uniform(np.log(5e-4), np.log(4e-3))))
    lin = (rgb.astype(np.float64) / 255.0) ** g
    s = lin * (e * np.array([gr, 1.0, gb]))
    s = s + rng.standard_normal(s.shape) * np.sqrt(s / fw + rd * rd)
    return np.clip(np.round(np.clip(s, 0, 1) * 255.0), 0, 255).astype(np.uint8)


def rng_for(seed, name):
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


# ---------------------------------------------------------------- packages

def fetch(pkg, cache):
    debs = os.path.join(cache, "debs"); os.makedirs(debs, exist_ok=True)
    have = sorted(glob.glob(os.path.join(debs, pkg + "_*.deb")))
    if not have:
        subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True, stdout=subprocess.DEVNULL)
        have = sorted(glob.glob(os.path.join(debs, pkg + "_*.deb")))
    deb = have[-1]
    xdir = os.path.join(cache, "x", pkg); mark = xdir + ".done"
    if not os.path.exists(mark) or open(mark).read().strip() != os.path.basename(deb):
        subprocess.run(["rm", "-rf", xdir], check=True); os.makedirs(xdir)
        subprocess.run(["dpkg-deb", "-x", deb, xdir], check=True)
        with open(mark, "w") as f: f.write(os.path.basename(deb))
    ver = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True, text=True, check=True).stdout.strip()
    return xdir, ver


def parse_copyright(path):
    """Returns (is_dep5, stanzas): stanzas = [(patterns, copyright, licence)] in file order."""
    try: text = open(path, encoding="utf-8", errors="replace").read()
    except OSError: return False, []
    if not re.search(r"^Format:\s*\S*copyright-format", text, re.M): return False, []
    out = []
    for para in re.split(r"\n\s*\n", text):
        fields, cur = {}, None
        for line in para.split("\n"):
            if re.match(r"^[A-Za-z-]+:", line):
                cur, v = line.split(":", 1); cur = cur.strip(); fields[cur] = v.strip()
            elif cur and line.startswith((" ", "\t")):
                fields[cur] += "\n" + line.strip()
        if "Files" in fields:
            lic = fields.get("License", "").split("\n")[0].strip()
            cr = " ".join(l.strip() for l in fields.get("Copyright", "").split("\n") if l.strip())
            out.append((fields["Files"].split(), cr, lic))
    return True, out


def licence_for(pkg, xdir, rel, dep5):
    is5, stanzas = dep5
    if not is5:
        return PACKAGE_WIDE.get(pkg, ("(see copyright)", "(see copyright)"))
    parts = rel.split("/"); tails = ["/".join(parts[i:]) for i in range(len(parts))]
    base = parts[-1]
    def matches(p):
        if any(fnmatch.fnmatchcase(t, p) for t in tails): return True
        # the source tree's folders need not be the installed ones (lomiri: 16.04/X.jpg -> usr/share/backgrounds/X.jpg)
        b = p.rsplit("/", 1)[-1]
        return not re.search(r"[*?\[]", b) and b == base
    hit = None
    for pats, cr, lic in stanzas:  # DEP-5: the last matching stanza wins
        if any(matches(p) for p in pats): hit = (cr, lic)
    return hit or ("(unknown)", "(unknown)")


def own_metadata(pkg, xdir, rel):
    """Plasma metadata.json / Palapeli .desktop author+licence, else None."""
    if pkg == "plasma-workspace-wallpapers":
        wid = rel.split("/")[3]
        try: m = json.load(open(os.path.join(xdir, "usr/share/wallpapers", wid, "metadata.json")))["KPlugin"]
        except (OSError, KeyError, ValueError): return None
        return (", ".join(a.get("Name", "") for a in m.get("Authors", [])), m.get("License", ""))
    if pkg == "palapeli-data":
        p = os.path.join(xdir, os.path.splitext(rel)[0] + ".desktop")
        if os.path.exists(p):
            kv = dict(l.split("=", 1) for l in open(p, encoding="utf-8").read().split("\n") if "=" in l)
            return (kv.get("X-KDE-PluginInfo-Author", ""), kv.get("X-KDE-PluginInfo-License", ""))
    return None


def candidates(pkg, xdir):
    """Yields paths (relative to xdir) of the package's image candidates."""
    out = []
    for d in IMAGE_DIRS[pkg]:
        base = os.path.join(xdir, d)
        if os.path.isfile(base): out.append(d); continue
        if pkg == "plasma-workspace-wallpapers":
            for wid in sorted(os.listdir(base)):
                fs = sorted(glob.glob(os.path.join(base, wid, "contents", "images", "*")))
                if not fs: continue
                best = max(fs, key=lambda f: (Image.open(f).size[0] * Image.open(f).size[1], f))
                out.append(os.path.relpath(best, xdir))
            continue
        for r, _, fs in os.walk(base):
            for f in sorted(fs):
                if f.lower().endswith(IMG_EXT): out.append(os.path.relpath(os.path.join(r, f), xdir))
    return sorted(set(out))


def load(path, need=None):
    """Loads an image as RGB uint8 (EXIF orientation applied). need = longest side wanted (JPEG draft decoding)."""
    if path.endswith("face.dat"):
        return np.frombuffer(bz2.decompress(open(path, "rb").read()), np.uint8).reshape(768, 1024, 3).copy()
    im = Image.open(path)
    if need and im.format == "JPEG":
        w, h = im.size; k = max(w, h) / (2 * need)
        if k >= 2: im.draft("RGB", (int(w / k), int(h / k)))
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA"); bg = Image.new("RGBA", im.size, (255, 255, 255, 255)); im = Image.alpha_composite(bg, im)
    return np.asarray(im.convert("RGB"))


def resize_long(a, side):
    h, w = a.shape[:2]; k = side / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    return np.asarray(Image.fromarray(a).resize(size, Image.BOX))  # area averaging


def photo_stats(a):
    t = resize_long(a, 256).astype(np.float64)
    q = (t // 8).astype(np.int64); uc = len(np.unique(q[..., 0] * 1024 + q[..., 1] * 32 + q[..., 2]))
    flat = float((np.abs(np.diff(t.mean(2), axis=1)) < 1).mean())
    return uc, flat


def ahash(a):
    """16x16 grey thumbnail (aspect ignored): two photos whose thumbnails differ by < 6/255 on average are the same."""
    return np.asarray(Image.fromarray(a).convert("L").resize((16, 16), Image.BOX)).astype(float)


# ---------------------------------------------------------------- output

def save_png(a, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    Image.fromarray(a).save(tmp, format="PNG")
    os.replace(tmp, path)


def write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f: f.write(text)
    os.replace(tmp, path)


def csv_text(rows, cols):
    s = io.StringIO(); w = csv.DictWriter(s, cols, extrasaction="ignore", lineterminator="\n"); w.writeheader()
    for r in rows: w.writerow(r)
    return s.getvalue()


def contact_sheet(items, path, cell=160):
    n = len(items); cols = 10; rows = max(1, (n + cols - 1) // cols)
    sheet = Image.new("RGB", (cols * cell, rows * (cell * 3 // 4 + 14)), (32, 32, 32)); d = ImageDraw.Draw(sheet)
    for k, (name, a) in enumerate(items):
        t = Image.fromarray(a); t.thumbnail((cell - 4, cell * 3 // 4 - 4), Image.BOX)
        x, y = (k % cols) * cell, (k // cols) * (cell * 3 // 4 + 14)
        sheet.paste(t, (x + 2, y + 2)); d.text((x + 2, y + cell * 3 // 4), name[:26], fill=(255, 255, 0))
    tmp = path + ".tmp"; sheet.save(tmp, format="PNG"); os.replace(tmp, path)


def prune(dirpath, keep):
    """Removes stale outputs of an earlier run (files not written this run)."""
    if not os.path.isdir(dirpath): return
    for f in os.listdir(dirpath):
        if f not in keep: os.remove(os.path.join(dirpath, f))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataroot")
    ap.add_argument("--cache", default="/work/photo-cache")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fixtures", default=os.path.join(ROOT, "Tests/Fixtures/heldout-photos"),
                    help="where the CI subset goes ('' to skip)")
    ap.add_argument("--manifest-copy", default=os.path.join(ROOT, "docs/model-data-manifest.csv"),
                    help="second copy of manifest.csv, kept in the repo ('' to skip)")
    a = ap.parse_args()
    out = a.dataroot; os.makedirs(out, exist_ok=True)

    rows, photos = [], []  # photos: (split, name, row, path)
    seen_px, hashes = {}, []
    for pkg in PACKAGES:
        xdir, ver = fetch(pkg, a.cache)
        dep5 = parse_copyright(os.path.join(xdir, "usr/share/doc", pkg, "copyright"))
        split = "heldout" if pkg in HELDOUT_PACKAGES else "train"
        for rel in candidates(pkg, xdir):
            path = os.path.join(xdir, rel)
            author, lic = licence_for(pkg, xdir, rel, dep5)
            meta = own_metadata(pkg, xdir, rel)
            if meta and meta[0]: author = meta[0]
            if meta and meta[1]: lic = meta[1]
            stem = os.path.splitext(os.path.basename(rel))[0]
            if pkg == "plasma-workspace-wallpapers": stem = rel.split("/")[3]
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", SHORT[pkg] + "_" + stem)
            key = rel.split("/")[3] if pkg == "plasma-workspace-wallpapers" else rel
            row = {"name": name, "split": split, "package": pkg, "version": ver, "path": rel, "author": author,
                   "licence": lic, "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest()}
            try:
                img = load(path, need=HELDOUT_SIDE)
            except Exception as e:  # noqa: BLE001  (unreadable file: record it)
                row.update(split="excluded", reason="unreadable: %s" % e); rows.append(row); continue
            h, w = img.shape[:2]; uc, flat = photo_stats(img)
            row.update(width=w, height=h, colours=uc, flat=round(flat, 3))
            reason = None
            if min(h, w) < 300: reason = "too small"
            elif uc < 16 or flat > 0.9: reason = "statistic: flat/drawn (colours %d, flat %.2f)" % (uc, flat)
            elif key not in ALLOW.get(pkg, ()): reason = "not a photograph (visual check)"
            if reason is None:
                pxh = hashlib.sha256(resize_long(img, 64).tobytes()).hexdigest()
                hh = ahash(img)
                if pxh in seen_px: reason = "duplicate of " + seen_px[pxh]
                else:
                    near = [n for n, x in hashes if float(np.abs(x - hh).mean()) < 6.0]
                    if near: reason = "near duplicate of " + near[0]
                    seen_px[pxh] = name; hashes.append((name, hh))
            elif key in ALLOW.get(pkg, ()) and reason.startswith("statistic"):
                print("warning: allow-listed %s fails the statistic (%s)" % (name, reason), file=sys.stderr)
            if reason:
                row.update(split="excluded", reason=reason)
            else:
                photos.append((split, name, row, path))
            rows.append(row)
    missing = [(p, k) for p, ks in ALLOW.items() for k in ks
               if not any(r["package"] == p and (r["path"] == k or r["path"].split("/")[3:4] == [k]) for r in rows)]
    if missing: sys.exit("allow-listed files not found: %s" % missing)

    # ---- images
    dirs = {k: os.path.join(out, k) for k in ("trainA_Dark", "trainA_Clean", "trainB_Normal")}
    dirs["hdark"] = os.path.join(out, "heldout", "dark"); dirs["hclean"] = os.path.join(out, "heldout", "clean")
    written = {k: set() for k in dirs}
    sheet_train, sheet_held, fixtures = [], [], {}
    for split, name, row, path in photos:
        img = load(path, need=HELDOUT_SIDE)
        if split == "train":
            for side in TRAIN_SIDES:
                c = resize_long(img, side); base = "%s_s%d" % (name, side)
                save_png(c, os.path.join(dirs["trainB_Normal"], base + ".png")); written["trainB_Normal"].add(base + ".png")
                for v in range(VARIANTS):
                    n = "%s_v%d.png" % (base, v)
                    dk = darken(c, rng_for(a.seed, n))
                    save_png(dk, os.path.join(dirs["trainA_Dark"], n)); save_png(c, os.path.join(dirs["trainA_Clean"], n))
                    written["trainA_Dark"].add(n); written["trainA_Clean"].add(n)
            sheet_train.append((name, resize_long(img, 160)))
        else:
            c = resize_long(img, HELDOUT_SIDE); dk = darken(c, rng_for(HELDOUT_SEED, name))
            save_png(c, os.path.join(dirs["hclean"], name + ".png")); save_png(dk, os.path.join(dirs["hdark"], name + ".png"))
            written["hclean"].add(name + ".png"); written["hdark"].add(name + ".png")
            sheet_held.append((name, resize_long(img, 160)))
            if name in FIXTURES:
                s = resize_long(img, FIXTURE_SIDE)
                fixtures[name] = (s, darken(s, rng_for(HELDOUT_SEED, name)), row)
    for k, d in dirs.items(): prune(d, written[k])
    contact_sheet(sheet_train, os.path.join(out, "contact_train.png"))
    contact_sheet(sheet_held, os.path.join(out, "contact_heldout.png"))

    cols = ["name", "split", "package", "version", "path", "author", "licence", "sha256", "width", "height",
            "colours", "flat", "reason"]
    text = csv_text(rows, cols)
    write_text(os.path.join(out, "manifest.csv"), text)
    if a.manifest_copy: write_text(a.manifest_copy, text)

    if a.fixtures:
        if sorted(fixtures) != sorted(FIXTURES): sys.exit("fixture photos missing: %s" % (set(FIXTURES) - set(fixtures)))
        fd = a.fixtures; os.makedirs(fd, exist_ok=True)
        keep = set()
        for name in FIXTURES:
            c, dk, row = fixtures[name]
            save_png(c, os.path.join(fd, "clean_%s.png" % name)); save_png(dk, os.path.join(fd, "dark_%s.png" % name))
            keep |= {"clean_%s.png" % name, "dark_%s.png" % name}
        frows = [fixtures[n][2] for n in FIXTURES]
        write_text(os.path.join(fd, "MANIFEST.csv"), csv_text(frows, ["name", "package", "version", "path", "author",
                                                                      "licence", "sha256"]))
        lines = ["# Held-out photo fixtures (issue #17)", "",
                 "Made by `scripts/make_photo_dataset.py` (never used in training). Each photo is resized to a longer "
                 "side of %d px (`clean_NAME.png`) and darkened once with the held-out seed (`dark_NAME.png`, the "
                 "`darken()` model of that script). The originals are Debian bookworm package files, redistributed "
                 "under their licences (modified: resized, darkened):" % FIXTURE_SIDE, "",
                 "| name | package (version) | file in the package | author | licence |", "| --- | --- | --- | --- | --- |"]
        for r in frows:
            lines.append("| %s | %s (%s) | `%s` | %s | %s |" % (r["name"], r["package"], r["version"], r["path"],
                                                               r["author"], r["licence"]))
        write_text(os.path.join(fd, "README.md"), "\n".join(lines) + "\n")
        keep |= {"MANIFEST.csv", "README.md"}
        prune(fd, keep)

    n_train = sum(1 for p in photos if p[0] == "train"); n_held = len(photos) - n_train
    per = {}
    for s, _, r, _ in photos: per.setdefault((r["package"], s), 0); per[(r["package"], s)] += 1
    print("train photos %d -> %d dark images (%d trainB_Normal); held-out photos %d" %
          (n_train, len(written["trainA_Dark"]), len(written["trainB_Normal"]), n_held))
    for (p, s), n in sorted(per.items()): print("  %-28s %-8s %d" % (p, s, n))
    if n_held < 20: sys.exit("held-out set has fewer than 20 photos")


if __name__ == "__main__":
    main()
