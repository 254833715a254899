#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/images/, the fixtures of ImageIOTests.

    pip install numpy pillow && python3 scripts/make_image_fixtures.py

PNGs are written by the small encoder below (stdlib zlib, every colour type, bit depth, filter type and Adam7
interlacing, chosen exactly), so the tests do not check libpng against itself. Their samples follow the formulas in
`formulas()`, which Tests/ImageIOTests/Formulas.swift repeats; each file is checked here against Pillow's (or, for
16-bit colour, which Pillow cannot hold, ImageMagick's) decoding before it is kept.

JPEGs are written and decoded by Pillow (libjpeg-turbo); `<name>.rgb` holds the RGB bytes Pillow decodes, which
the Swift reader must reproduce. The bad files are made by cutting or patching good ones.
"""
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
from PIL import Image, features

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "images")
W, H = 13, 7  # odd sizes: every Adam7 pass is non-empty and rows of packed pixels end mid-byte


# ---------------------------------------------------------------------------------------------- formulas

def formulas():
    y, x = np.mgrid[0:H, 0:W].astype(np.int64)
    g8 = (x * 17 + y * 36 + 5) % 256
    g16 = (x * 4099 + y * 9001 + 1234) % 65536
    a8 = (255 - x * 13 - y * 11) % 256
    a16 = (65535 - x * 3001 - y * 5003) % 65536
    rgb8 = np.stack([(x * 19 + y * 3) % 256, (y * 37 + x * 2) % 256, (x * y * 11 + 3) % 256], axis=-1)
    rgb16 = np.stack([(x * 5003 + y * 71) % 65536, (y * 7919 + x * 13 + 500) % 65536,
                      (x * y * 1543 + 40000) % 65536], axis=-1)
    g4 = (x + 3 * y) % 16
    index = (x + 2 * y) % 16
    return dict(g8=g8, g16=g16, a8=a8, a16=a16, rgb8=rgb8, rgb16=rgb16, g4=g4, index=index)


def palette_entries():
    return [((i * 16 + 5) % 256, (255 - i * 15) % 256, (i * 37) % 256) for i in range(16)]


PALETTE_ALPHA = [i * 32 for i in range(8)]  # tRNS for entries 0-7; 8-15 stay opaque
GRAY_TRNS = 41  # the transparent gray of gray8_trns.png: g8(0, 1)


# ---------------------------------------------------------------------------------------------- PNG encoder

def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(row, bit_depth):
    """row: (W, C) ints -> scanline bytes."""
    flat = row.reshape(-1)
    if bit_depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in flat)
    if bit_depth == 8:
        return bytes(int(v) for v in flat)
    per_byte = 8 // bit_depth
    out = bytearray()
    for i in range(0, len(flat), per_byte):
        byte = 0
        for j in range(per_byte):
            v = int(flat[i + j]) if i + j < len(flat) else 0
            byte |= v << (8 - bit_depth * (j + 1))
        out.append(byte)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(lines, bpp):
    """Filters scanlines with types 0-4 in turn, so decoders meet every filter."""
    out = bytearray()
    prev = bytes(len(lines[0])) if lines else b""
    for n, line in enumerate(lines):
        kind = n % 5
        out.append(kind)
        for i, v in enumerate(line):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            out.append((v - pred) % 256)
        prev = line
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def encode_png(samples, bit_depth, color_type, interlace=False, plte=None, trns=None, before=(), after=()):
    """samples: (H, W, C) array of ints. before/after: extra chunks around the image data."""
    if samples.ndim == 2:
        samples = samples[:, :, None]
    h, w, c = samples.shape
    bpp = max(1, c * bit_depth // 8)
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += filter_rows([pack_row(r, bit_depth) for r in sub], bpp)
    else:
        raw = filter_rows([pack_row(r, bit_depth) for r in samples], bpp)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0,
                                                                1 if interlace else 0))
    if plte is not None:
        out += chunk(b"PLTE", bytes(v for rgb in plte for v in rgb))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    for kind, data in before:
        out += chunk(kind, data)
    out += chunk(b"IDAT", zlib.compress(raw, 9))
    for kind, data in after:
        out += chunk(kind, data)
    return out + chunk(b"IEND", b"")


def text_chunks():
    """(before IDAT, after IDAT): tEXt, zTXt and iTXt (plain and compressed), Latin-1 and UTF-8."""
    before = [
        (b"tEXt", b"monopix:min\x000.125"),
        (b"tEXt", b"monopix:max\x003.5"),
        (b"zTXt", b"Comment\x00\x00" + zlib.compress(b"zlib-compressed comment " * 5)),
    ]
    after = [
        (b"tEXt", b"Title\x00caf\xe9"),  # Latin-1
        (b"iTXt", b"Author\x00\x00\x00en\x00Author\x00" + "Zoë 東京".encode()),
        (b"iTXt", b"Description\x00\x01\x00\x00\x00" + zlib.compress("ünïcödé ".encode() * 4)),
    ]
    return before, after


EXPECTED_TEXT = {
    "monopix:min": "0.125",
    "monopix:max": "3.5",
    "Comment": "zlib-compressed comment " * 5,
    "Title": "café",
    "Author": "Zoë 東京",
    "Description": "ünïcödé " * 4,
}


# ---------------------------------------------------------------------------------------------- checks

def pillow_array(path):
    with Image.open(path) as im:
        return np.array(im)


def magick_rgb16(path):
    raw = subprocess.run(["convert", path, "-depth", "16", "-endian", "MSB", "rgb:-"], check=True,
                         capture_output=True).stdout
    return np.frombuffer(raw, dtype=">u2").reshape(H, W, 3).astype(np.int64)


def magick_rgba16(path):
    raw = subprocess.run(["convert", path, "-depth", "16", "-endian", "MSB", "rgba:-"], check=True,
                         capture_output=True).stdout
    return np.frombuffer(raw, dtype=">u2").reshape(H, W, 4).astype(np.int64)


def check(name, got, want):
    got = np.asarray(got).astype(np.int64).reshape(np.asarray(want).shape)
    if not np.array_equal(got, want):
        sys.exit(f"{name}: the independent decoder disagrees with the formula")


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------- main

def make_pngs():
    f = formulas()
    g8, g16, a8, a16, rgb8, rgb16, g4, index = (f[k] for k in ("g8", "g16", "a8", "a16", "rgb8", "rgb16", "g4",
                                                              "index"))
    pal = palette_entries()
    p = lambda n: os.path.join(OUT, n)

    write("gray8.png", encode_png(g8, 8, 0)); check("gray8", pillow_array(p("gray8.png")), g8)
    write("gray16.png", encode_png(g16, 16, 0)); check("gray16", pillow_array(p("gray16.png")), g16)
    write("gray4.png", encode_png(g4, 4, 0)); check("gray4", pillow_array(p("gray4.png")), g4 * 17)
    write("gray8_trns.png", encode_png(g8, 8, 0, trns=struct.pack(">H", GRAY_TRNS)))
    with Image.open(p("gray8_trns.png")) as im:
        check("gray8_trns", np.array(im.convert("LA"))[:, :, 1], np.where(g8 == GRAY_TRNS, 0, 255))
    ga8 = np.stack([g8, a8], axis=-1)
    write("graya8.png", encode_png(ga8, 8, 4)); check("graya8", pillow_array(p("graya8.png")), ga8)
    ga16 = np.stack([g16, a16], axis=-1)
    write("graya16.png", encode_png(ga16, 16, 4))
    check("graya16", magick_rgba16(p("graya16.png"))[:, :, [0, 3]], ga16)
    write("rgb8.png", encode_png(rgb8, 8, 2)); check("rgb8", pillow_array(p("rgb8.png")), rgb8)
    write("rgb16.png", encode_png(rgb16, 16, 2)); check("rgb16", magick_rgb16(p("rgb16.png")), rgb16)
    rgba8 = np.concatenate([rgb8, a8[:, :, None]], axis=-1)
    write("rgba8.png", encode_png(rgba8, 8, 6)); check("rgba8", pillow_array(p("rgba8.png")), rgba8)
    rgba16 = np.concatenate([rgb16, a16[:, :, None]], axis=-1)
    write("rgba16.png", encode_png(rgba16, 16, 6)); check("rgba16", magick_rgba16(p("rgba16.png")), rgba16)
    pal_rgb = np.array(pal)[index]
    write("palette.png", encode_png(index, 4, 3, plte=pal))
    with Image.open(p("palette.png")) as im:
        check("palette", np.array(im.convert("RGB")), pal_rgb)
    write("palette_trns.png", encode_png(index, 4, 3, plte=pal, trns=bytes(PALETTE_ALPHA)))
    with Image.open(p("palette_trns.png")) as im:
        alpha = np.array([PALETTE_ALPHA[i] if i < 8 else 255 for i in range(16)])[index]
        check("palette_trns", np.array(im.convert("RGBA")), np.concatenate([pal_rgb, alpha[:, :, None]], axis=-1))
    write("interlaced_rgb8.png", encode_png(rgb8, 8, 2, interlace=True))
    check("interlaced_rgb8", pillow_array(p("interlaced_rgb8.png")), rgb8)
    write("interlaced_gray16.png", encode_png(g16, 16, 0, interlace=True))
    check("interlaced_gray16", pillow_array(p("interlaced_gray16.png")), g16)
    before, after = text_chunks()
    write("text_gray16.png", encode_png(g16, 16, 0, before=before, after=after))
    with Image.open(p("text_gray16.png")) as im:
        im.load()
        check("text_gray16", np.array(im), g16)
        for key, value in EXPECTED_TEXT.items():
            if im.text.get(key) != value:
                sys.exit(f"text_gray16: Pillow reads {key}={im.text.get(key)!r}")

    # Bad PNGs.
    good = encode_png(rgb8, 8, 2)
    idat = good.index(b"IDAT") - 4
    idat_len = struct.unpack(">I", good[idat:idat + 4])[0]
    write("truncated.png", good[:idat + 8 + idat_len // 2])  # ends inside the image data
    bad = bytearray(good)
    bad[idat + 8 + idat_len] ^= 0xFF  # first byte of IDAT's CRC
    write("bad_crc.png", bytes(bad))
    raw = zlib.compress(b"\x00" * (W * 3 + 1) * H)
    broken = raw[:2] + bytes([0x05]) + raw[3:]  # valid CRC, broken deflate data
    write("bad_zlib.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
          + chunk(b"IDAT", broken) + chunk(b"IEND", b""))
    write("huge.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
          + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    write("wide.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2000000, 1, 8, 0, 0, 0, 0))
          + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))  # beyond libpng's own limit
    write("not_an_image.png", b"hello, I am a text file with a .png name\n")
    write("empty.png", b"")


def jpeg_source():
    """37x23 RGB: smooth gradients, a hard edge and a coloured disc, so chroma upsampling matters."""
    h, w = 23, 37
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / (w - 1)
    g = 255 * y / (h - 1)
    b = np.where(x + y > 30, 220.0, 30.0)
    disc = (x - 12) ** 2 + (y - 11) ** 2 < 36
    r[disc], g[disc], b[disc] = 250, 40, 120
    return np.clip(np.stack([r, g, b], axis=-1).round(), 0, 255).astype(np.uint8)


def make_jpegs():
    src = Image.fromarray(jpeg_source(), "RGB")
    files = {
        "baseline.jpg": (src, dict(quality=85, subsampling=2)),
        "baseline422.jpg": (src, dict(quality=85, subsampling=1)),
        "progressive.jpg": (src, dict(quality=80, subsampling=2, progressive=True)),
        "gray.jpg": (src.convert("L"), dict(quality=90)),
        "cmyk.jpg": (src.convert("CMYK"), dict(quality=90)),
    }
    for name, (im, options) in files.items():
        path = os.path.join(OUT, name)
        im.save(path, "JPEG", **options)
        with Image.open(path) as back:
            write(name.replace(".jpg", ".rgb"), back.convert("RGB").tobytes())

    # The same CMYK data without the Adobe APP14 marker: libjpeg then takes the samples as plain (not inverted)
    # ink amounts, which Pillow does not (it always assumes Adobe's inversion), so the expected bytes are computed
    # here from Pillow's CMYK samples with Pillow's own cmyk2rgb integer formula.
    adobe = open(os.path.join(OUT, "cmyk.jpg"), "rb").read()
    app14 = adobe.index(b"\xff\xee")
    length = struct.unpack(">H", adobe[app14 + 2:app14 + 4])[0]
    write("cmyk_no_adobe.jpg", adobe[:app14] + adobe[app14 + 2 + length:])
    with Image.open(os.path.join(OUT, "cmyk.jpg")) as im:
        ink = 255 - np.array(im).astype(np.int64)  # Pillow un-inverts the stored samples; stored = 255 - that
    nk = 255 - ink[:, :, 3:4]
    t = ink[:, :, :3] * nk + 128
    rgb = np.clip(nk - (((t >> 8) + t) >> 8), 0, 255).astype(np.uint8)
    write("cmyk_no_adobe.rgb", rgb.tobytes())

    good = open(os.path.join(OUT, "baseline.jpg"), "rb").read()
    sos = good.index(b"\xff\xda")
    write("truncated.jpg", good[: (sos + len(good)) // 2])  # ends inside the entropy-coded data
    sof = good.index(b"\xff\xc0")
    huge = bytearray(good)
    huge[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)  # height, width
    write("huge.jpg", bytes(huge))
    huge[sof + 5:sof + 9] = struct.pack(">HH", 7, 65535)  # beyond libjpeg's own 65500 limit
    write("wide.jpg", bytes(huge))
    write("garbage.jpg", b"\xff\xd8\xff" + bytes((i * 73 + 11) % 251 for i in range(300)))


def main():
    os.makedirs(OUT, exist_ok=True)
    make_pngs()
    make_jpegs()
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}")
    print(f"Pillow {Image.__version__}, libjpeg-turbo {features.version('libjpeg_turbo')}, "
          f"numpy {np.__version__}, zlib {zlib.ZLIB_RUNTIME_VERSION}")


if __name__ == "__main__":
    main()
