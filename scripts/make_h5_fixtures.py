#!/usr/bin/env python3
"""Writes the .h5 fixtures of H5PairFileTests (python3 + h5py; `pip install --break-system-packages h5py`).

Tests/Fixtures/h5/sidd_small.h5   the reference's layout (MonoPix data/noise_dataset.py, BenchmarkTrain): root
                                  datasets clean_0..clean_{n-1} and noisy_0..noisy_{n-1}, each uint8 H x W x 3 (RGB).
                                  noisy_1 is chunked and gzip-compressed, the rest contiguous.
Tests/Fixtures/h5/danet_small.h5  DANet's SIDD_big2small_train.py layout: datasets 0..N-1, each uint8 H x W x 6,
                                  channels 0-2 the noisy crop, 3-5 the clean (ground-truth) one.
Tests/Fixtures/h5/hostile/*.h5    files the reader must refuse, each naming the file and the dataset.

Pixels follow a formula the tests recompute, so the tests check every byte without a sidecar:
    clean(i)[y, x, c] = (i * 37 + y * 3 + x * 5 + c * 11) % 256
    noisy(i)[y, x, c] = (clean(i)[y, x, c] + 7 * ((x * y + i + c) % 5)) % 256
"""
import os
import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "Tests", "Fixtures", "h5")
hostile = os.path.join(out, "hostile")
os.makedirs(hostile, exist_ok=True)


def clean(i, h=48, w=48, c=3):
    y, x, ch = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    return ((i * 37 + y * 3 + x * 5 + ch * 11) % 256).astype(np.uint8)


def noisy(i, h=48, w=48, c=3):
    y, x, ch = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    return ((clean(i, h, w, c).astype(np.int64) + 7 * ((x * y + i + ch) % 5)) % 256).astype(np.uint8)


def pairs(path, n, skip=(), size=48, **kinds):
    with h5py.File(path, "w") as f:
        for i in range(n):
            for name, image in (("clean_%d" % i, clean(i, size, size)), ("noisy_%d" % i, noisy(i, size, size))):
                if name in skip:
                    continue
                if name in kinds:
                    kinds[name](f, name, image)
                elif name == "noisy_1":
                    f.create_dataset(name, data=image, chunks=(16, 16, 3), compression="gzip")
                else:
                    f.create_dataset(name, data=image)


pairs(os.path.join(out, "sidd_small.h5"), 3)

with h5py.File(os.path.join(out, "danet_small.h5"), "w") as f:
    for i in range(2):
        f.create_dataset(str(i), data=np.concatenate((noisy(i), clean(i)), axis=2))

# Hostile variants (small files only).
pairs(os.path.join(hostile, "float32.h5"), 2, size=16, clean_1=lambda f, n, im: f.create_dataset(n, data=im.astype(np.float32)))
pairs(os.path.join(hostile, "int16.h5"), 2, size=16, noisy_0=lambda f, n, im: f.create_dataset(n, data=im.astype(np.int16)))
pairs(os.path.join(hostile, "rank2.h5"), 2, size=16, noisy_1=lambda f, n, im: f.create_dataset(n, data=im[:, :, 0]))
pairs(os.path.join(hostile, "four_channels.h5"), 2, size=16,
      clean_0=lambda f, n, im: f.create_dataset(n, data=np.concatenate((im, im[:, :, :1]), axis=2)))
# Declared 30000 x 30000 x 3 (2.7 GB) in chunks never written: a file of a few KB that claims gigabytes.
pairs(os.path.join(hostile, "huge_dims.h5"), 2, size=16,
      clean_1=lambda f, n, im: f.create_dataset(n, shape=(30000, 30000, 3), dtype=np.uint8, chunks=(64, 64, 3)))
# 40000 rows: beyond the 32768 bound on a side (unwritten, so the file stays small).
pairs(os.path.join(hostile, "tall.h5"), 2, size=16,
      noisy_0=lambda f, n, im: f.create_dataset(n, shape=(40000, 8, 3), dtype=np.uint8, chunks=(64, 8, 3)))
# 20000 x 20000 x 3 (1.2 GB, within the bounds) declared, chunks unwritten: no storage behind the claim.
pairs(os.path.join(hostile, "unwritten.h5"), 2, size=16,
      noisy_1=lambda f, n, im: f.create_dataset(n, shape=(20000, 20000, 3), dtype=np.uint8, chunks=(64, 64, 3)))
# 20000 x 20000 x 3 declared, gzip chunks, one chunk written: a few bytes of storage behind 1.2 GB (a bomb).
def sparse(f, n, im):
    d = f.create_dataset(n, shape=(20000, 20000, 3), dtype=np.uint8, chunks=(64, 64, 3), compression="gzip")
    d[:64, :64, :] = 0
pairs(os.path.join(hostile, "sparse.h5"), 2, size=16, clean_0=sparse)
# Pixels from elsewhere: an external link to another file's dataset, and raw data kept in an external file
# (both would let an .h5 read any path as pixels).
pairs(os.path.join(hostile, "external_link.h5"), 2, size=16,
      noisy_1=lambda f, n, im: f.__setitem__(n, h5py.ExternalLink("/etc/passwd.h5", "/noisy_1")))
pairs(os.path.join(hostile, "external_raw.h5"), 2, size=16,
      clean_0=lambda f, n, im: f.create_dataset(n, shape=im.shape, dtype=np.uint8, external=[("/etc/hostname", 0, im.size)]))
pairs(os.path.join(hostile, "missing_noisy.h5"), 3, size=16, skip=("noisy_2",))
pairs(os.path.join(hostile, "group_not_dataset.h5"), 2, size=16, clean_0=lambda f, n, im: f.create_group(n))
with h5py.File(os.path.join(hostile, "zero_pairs.h5"), "w") as f:
    f.attrs["note"] = "no datasets"
with h5py.File(os.path.join(hostile, "danet_three_channels.h5"), "w") as f:
    f.create_dataset("0", data=clean(0, 16, 16))
# Truncated: the first half of a valid file (contiguous data cut off) and the first 100 bytes (superblock only).
with open(os.path.join(out, "sidd_small.h5"), "rb") as f:
    whole = f.read()
with open(os.path.join(hostile, "truncated.h5"), "wb") as f:
    f.write(whole[: len(whole) // 2])
with open(os.path.join(hostile, "truncated_header.h5"), "wb") as f:
    f.write(whole[:100])
with open(os.path.join(hostile, "not_hdf5.h5"), "wb") as f:
    f.write(b"P6\n48 48\n255\n" + bytes(64))

for root, _, files in os.walk(out):
    for name in sorted(files):
        p = os.path.join(root, name)
        print("%8d  %s" % (os.path.getsize(p), os.path.relpath(p, out)))
