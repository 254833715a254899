#!/usr/bin/env python3
"""Writes the checkpoint fixtures in Tests/Fixtures/checkpoints/ from real PyTorch, then checks that a .pth the
Swift writer produces is read back by torch.load(weights_only=True).

Run by hand (needs torch and numpy; not run in CI):

    python3 scripts/make_checkpoint_fixtures.py              # fixtures, then the Swift-writer check
    python3 scripts/make_checkpoint_fixtures.py --no-swift   # fixtures only

The values are deterministic (fixed seed, fixed data). The zip .pth files carry a random
.data/serialization_id and the legacy file names storages by memory address, so those bytes differ per run while
the tensors do not. The malicious files are assembled from raw pickle opcodes and are never unpickled here.
"""
import argparse
import collections
import io
import json
import os
import pathlib
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "checkpoints"

DTYPE_NAMES = {
    torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16", torch.float64: "float64",
    torch.int64: "int64", torch.int32: "int32", torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8",
    torch.bool: "bool",
}


def state_dict():
    """A small state dict covering every dtype, views with offsets, a transpose, an expansion and a Parameter."""
    g = torch.Generator().manual_seed(1234)
    sd = collections.OrderedDict()
    sd["conv1.weight"] = torch.randn(4, 3, 3, 3, generator=g)
    sd["conv1.bias"] = torch.randn(4, generator=g)
    sd["bn.running_mean"] = torch.randn(4, generator=g).half()
    sd["bn.running_var"] = torch.rand(4, generator=g).to(torch.bfloat16)
    sd["bn.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)
    sd["proj.weight"] = torch.randn(3, 5, generator=g, dtype=torch.float64)
    sd["transposed"] = torch.arange(12, dtype=torch.float32).reshape(4, 3).t()  # stride (1, 3)
    sd["expanded"] = torch.tensor([1.5, -2.0, 3.25]).expand(4, 3)  # stride (0, 1)
    sd["param"] = torch.nn.Parameter(torch.tensor([[0.5, -0.25], [4.0, 8.0]]))
    with_state = torch.nn.Parameter(torch.tensor([9.0, -9.0]))
    with_state.note = "a Parameter with __dict__ state pickles via _rebuild_parameter_with_state"
    sd["param_with_state"] = with_state
    base = torch.arange(10, dtype=torch.float32) * 0.5
    sd["slice"] = base[3:7]  # storage offset 3 in a 10-element storage
    sd["shared.a"] = base  # the same storage as "slice"
    sd["shared.b"] = base.view(2, 5)[:, 1::2]  # strided view of it: offset 1, stride (5, 2)
    sd["ints.int32"] = torch.tensor([-3, 0, 70000], dtype=torch.int32)
    sd["ints.int16"] = torch.tensor([-300, 2], dtype=torch.int16)
    sd["ints.int8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["mask.uint8"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    sd["mask.bool"] = torch.tensor([True, False, True])
    sd["empty"] = torch.zeros(0, 3)
    return sd


def module_state_dict():
    """A real nn.Module's state_dict: an OrderedDict with a `_metadata` attribute, which pickles as BUILD."""
    torch.manual_seed(99)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3))
    net.train()
    net(torch.randn(2, 2, 5, 5))  # updates running stats and num_batches_tracked
    return net.state_dict()


def expected_json(sd):
    return [
        {
            "name": name,
            "shape": list(t.shape),
            "dtype": DTYPE_NAMES[t.dtype],
            "values": [float(v) for v in t.detach().to(torch.float64).flatten().tolist()],
        }
        for name, t in sd.items()
    ]


def write_safetensors(path, sd):
    """safetensors by its spec (the reference writer is not needed): names sorted, data 8-byte aligned."""
    codes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
             torch.bool: "BOOL"}
    header, blobs, offset = {"__metadata__": {"format": "pt", "source": "make_checkpoint_fixtures.py"}}, [], 0
    for name in sorted(sd):
        t = sd[name].detach().contiguous()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def legacy_prelude():
    """The three pickles a legacy .pth starts with (magic number, protocol version, sys info), as torch writes."""
    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
    return (pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2) + pickle.dumps(1001, protocol=2)
            + pickle.dumps(sys_info, protocol=2))


def zip_with_pickle(path, pickle_bytes, storages=()):
    """A zip .pth whose data.pkl is `pickle_bytes`, assembled with zipfile (nothing is unpickled)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", "little")
        for key, raw in storages:
            z.writestr(f"archive/data/{key}", raw)
        z.writestr("archive/version", "3\n")


def malicious_files():
    # GLOBAL 'os system', then REDUCE with ('echo pwned',): what a hostile checkpoint looks like.
    cmd = b"echo pwned"
    global_pickle = (b"\x80\x02" + b"cos\nsystem\n" + b"q\x00" + b"X" + struct.pack("<I", len(cmd)) + cmd
                     + b"\x85" + b"R" + b".")
    zip_with_pickle(OUT / "malicious_os_system.pth", global_pickle)
    # The same through STACK_GLOBAL (protocol 4) in a legacy file: 'posix' 'system'.
    stack_pickle = (b"\x80\x04" + b"\x8c\x05posix" + b"\x8c\x06system" + b"\x93" + b"\x8c" + bytes([len(cmd)]) + cmd
                    + b"\x85" + b"R" + b".")
    (OUT / "malicious_posix_system_legacy.pth").write_bytes(legacy_prelude() + stack_pickle)


def oversized_tensor_file():
    """A zip .pth whose one tensor claims size (1000, 1000) over a storage of 6 float32 elements (24 bytes)."""
    def binunicode(s):
        b = s.encode()
        return b"X" + struct.pack("<I", len(b)) + b
    p = (b"\x80\x02" + b"ccollections\nOrderedDict\n" + b")R" + b"(" + binunicode("huge")
         + b"ctorch._utils\n_rebuild_tensor_v2\n" + b"((" + binunicode("storage") + b"ctorch\nFloatStorage\n"
         + binunicode("0") + binunicode("cpu") + b"K\x06" + b"tQ" + b"K\x00"
         + b"M\xe8\x03M\xe8\x03\x86" + b"M\xe8\x03K\x01\x86" + b"\x89" + b"ccollections\nOrderedDict\n)R" + b"tR"
         + b"u" + b".")
    zip_with_pickle(OUT / "oversized_tensor.pth", p, [("0", struct.pack("<6f", *range(6)))])


def npy_files():
    rng = np.random.default_rng(7)
    mask = (rng.random((6, 5)) > 0.5).astype(np.uint8) * 255
    np.save(OUT / "mask_u8.npy", mask)
    f64 = np.linspace(-1.0, 1.0, 12, dtype=np.float64).reshape(3, 4)
    np.save(OUT / "values_f64.npy", f64)
    i64 = np.array([[-5, 0, 1 << 20]], dtype=np.int64)
    np.save(OUT / "ints_i64.npy", i64)
    u16 = np.array([0, 1, 65535], dtype=np.uint16)
    np.save(OUT / "depth_u16.npy", u16)
    flags = np.array([True, False, False, True])
    np.save(OUT / "flags_bool.npy", flags)
    np.save(OUT / "fortran_f4.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    np.save(OUT / "big_endian_f4.npy", np.arange(4, dtype=">f4"))
    return [{"name": name, "shape": list(a.shape), "values": [float(v) for v in a.astype(np.float64).flatten()]}
            for name, a in [("mask_u8.npy", mask), ("values_f64.npy", f64), ("ints_i64.npy", i64),
                            ("depth_u16.npy", u16), ("flags_bool.npy", flags)]]


def check_swift_writer(expected):
    """Runs the Swift export test, which reads state_zip.pth and writes it back with StateDict.write, then loads
    what it wrote with torch.load(weights_only=True) and compares names, shapes, dtypes and values."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MONOPIX_CHECKPOINT_EXPORT_DIR=tmp)
        subprocess.run(["swift", "test", "--filter", "ModelTests.CheckpointExportTests"], cwd=ROOT, env=env, check=True)
        written = pathlib.Path(tmp) / "swift_written.pth"
        loaded = torch.load(written, weights_only=True)
        assert isinstance(loaded, collections.OrderedDict), type(loaded)
        assert list(loaded) == [e["name"] for e in expected], (list(loaded), expected)
        for want in expected:
            name = want["name"]
            t = loaded[name]
            want_dtype = torch.int64 if want["dtype"] in ("int64", "int32", "int16", "int8", "uint8", "bool") else torch.float32
            assert t.dtype == want_dtype, (name, t.dtype, want_dtype)
            assert list(t.shape) == want["shape"], (name, t.shape, want["shape"])
            got = t.to(torch.float64).flatten()
            ref = torch.tensor(want["values"], dtype=torch.float64)
            assert torch.allclose(got, ref.to(torch.float32).to(torch.float64)), (name, got, ref)
        mm = torch.load(written, weights_only=True, mmap=True)
        assert all(torch.equal(mm[k], loaded[k]) for k in loaded)
        print(f"torch {torch.__version__} read {len(loaded)} tensors from the Swift-written .pth (also with mmap=True)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-swift", action="store_true", help="skip the check of the Swift .pth writer")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    sd = state_dict()
    torch.save(sd, OUT / "state_zip.pth")
    torch.save(sd, OUT / "state_legacy.pth", _use_new_zipfile_serialization=False)
    write_safetensors(OUT / "state.safetensors", sd)
    # Sanity: torch reads its own files back as the same tensors.
    for name in ("state_zip.pth", "state_legacy.pth"):
        back = torch.load(OUT / name, weights_only=True)
        assert list(back) == list(sd) and all(torch.equal(back[k], sd[k]) for k in sd), name

    module = module_state_dict()
    torch.save(module, OUT / "module_state.pth")

    expected = expected_json(sd)
    expected_npy = npy_files()
    (OUT / "expected.json").write_text(json.dumps({"state": expected, "module": expected_json(module), "npy": expected_npy}, indent=1) + "\n")
    malicious_files()
    oversized_tensor_file()

    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {len(list(OUT.iterdir()))} files, {total} bytes, to {OUT.relative_to(ROOT)}")
    if not args.no_swift:
        check_swift_writer(expected)


if __name__ == "__main__":
    sys.exit(main())
