"""Shared by scripts/kill_harness.py and scripts/storm_test.py (Python 3 standard library only): checking that the
files monopix leaves are whole, and driving the studio in a private tmux server."""
import json, os, re, struct, subprocess, time, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("MONOPIX_BINARY", os.path.join(ROOT, ".build/release/monopix"))

# Every temporary file of an atomic write is `.<final name>.tmp-<something>` (Sources/AtomicFiles/AtomicFile.swift;
# the older writers used the same prefix with mkstemp's, a UUID's or a pid's suffix).
TEMP = re.compile(r"^\..+\.tmp-")


def temporaries(folder):
    """The temporary files of atomic writes under `folder`, recursively."""
    found = []
    for d, _, names in os.walk(folder):
        found += [os.path.join(d, n) for n in names if TEMP.match(n)]
    return found


def final_files(folder, suffix):
    out = []
    for d, _, names in os.walk(folder):
        out += [os.path.join(d, n) for n in names if n.endswith(suffix) and not TEMP.match(n)]
    return sorted(out)


def png_problem(path):
    """None when the PNG decodes fully (every chunk's CRC, the whole IDAT stream, the exact number of scanline
    bytes, IEND), else what is wrong."""
    try:
        data = open(path, "rb").read()
    except OSError as e:
        return "unreadable: %s" % e
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return "no PNG signature (%d bytes)" % len(data)
    pos, idat, header, ended = 8, [], None, False
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            return "chunk %r cut short" % kind
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            return "bad CRC in %r" % kind
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            ended = True
            break
        pos += 12 + length
    if header is None or not ended:
        return "no IHDR" if header is None else "no IEND (truncated)"
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if channels is None or interlace != 0:
        return None if channels else "colour type %d" % colour  # interlaced: the CRCs and IEND have to do
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        return "IDAT does not inflate: %s" % e
    expected = height * (1 + (width * channels * depth + 7) // 8)
    return None if len(raw) == expected else "%d scanline bytes, expected %d" % (len(raw), expected)


def npy_problem(path, shape=None):
    """None when the .npy file is a whole little-endian float32 array (of `shape` if given)."""
    try:
        data = open(path, "rb").read()
    except OSError as e:
        return "unreadable: %s" % e
    if data[:6] != b"\x93NUMPY":
        return "no npy magic (%d bytes)" % len(data)
    if data[6] == 1:
        n, start = struct.unpack("<H", data[8:10])[0], 10
    else:
        n, start = struct.unpack("<I", data[8:12])[0], 12
    header = data[start:start + n].decode("latin1")
    m = re.search(r"'shape':\s*\(([^)]*)\)", header)
    if "'<f4'" not in header or not m:
        return "header %r" % header
    dims = [int(x) for x in m.group(1).replace(" ", "").split(",") if x]
    if shape is not None and dims != list(shape):
        return "shape %s, expected %s" % (dims, list(shape))
    count = 1
    for d in dims:
        count *= d
    body = len(data) - start - n
    return None if body == 4 * count else "%d data bytes, expected %d" % (body, 4 * count)


def checkpoint_problem(path):
    """None when `monopix info` reads the checkpoint."""
    r = subprocess.run([BINARY, "info", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return None if r.returncode == 0 else "monopix info: " + r.stderr.strip()[:200]


def jsonl_problem(path):
    """None when every line of the file is a whole JSON object ending in a newline."""
    try:
        text = open(path, "rb").read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return "unreadable: %s" % e
    if text and not text.endswith("\n"):
        return "last line torn: %r" % text.rsplit("\n", 1)[-1][:80]
    for i, line in enumerate(text.splitlines()):
        try:
            if not isinstance(json.loads(line), dict):
                return "line %d is not an object" % (i + 1)
        except ValueError:
            return "line %d is not JSON: %r" % (i + 1, line[:80])
    return None


def write_png(path, width, height, pixel):
    """An 8-bit RGB PNG whose pixel (x, y) is `pixel(x, y)` -> (r, g, b)."""
    raw = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def rss_kib(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class Tmux:
    """A private tmux server (its own socket) holding one session, `s`."""

    def __init__(self, name):
        self.socket = "%s-%d" % (name, os.getpid())

    def __call__(self, *args, check=True):
        r = subprocess.run(["tmux", "-L", self.socket] + list(args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("tmux %s: %s" % (" ".join(args[:3]), r.stderr.strip()))
        return r.stdout

    def start(self, command, width=120, height=40):
        self("kill-server", check=False)
        self("new-session", "-d", "-s", "s", "-x", str(width), "-y", str(height), command)
        self("set-option", "-t", "s", "remain-on-exit", "on", check=False)

    def pane_pid(self):
        return int(self("display-message", "-p", "-t", "s", "#{pane_pid}").strip())

    def screen(self):
        return self("capture-pane", "-p", "-t", "s", check=False)

    def wait_for(self, predicate, timeout=20.0, what="the screen", poll=0.02):
        deadline, last = time.time() + timeout, ""
        while time.time() < deadline:
            last = self.screen()
            if predicate(last):
                return last
            time.sleep(poll)
        raise RuntimeError("timed out waiting for %s; the screen was:\n%s" % (what, last))

    def keys(self, *keys):
        self("send-keys", "-t", "s", *keys)

    def literal(self, text):
        self("send-keys", "-t", "s", "-l", text)

    def stop(self):
        self("kill-server", check=False)


LEVEL = re.compile(r" (-?\d+\.\d\d)  \[(-?\d+\.\d\d), (-?\d+\.\d\d)\]")


def shown_level(screen):
    m = LEVEL.search(screen)
    return m.group(1) if m else None
