#!/usr/bin/env python3
"""A storm of input into `monopix studio` (docs/reliability.md, "Input storm"). Python 3 standard library only.

  python3 scripts/storm_test.py [--events N] [--seed S] [--burst K] [--demo-renderer]

Opens the studio on a bundled sample (assets/samples/chelsea_dark.png, the bundled model) in a private tmux
server and sends N events as fast as tmux takes them: keys (many per `send-keys` call) and SGR mouse reports
(presses, drags, releases, wheel, both buttons; `send-keys -l`), in segments with a resize of the window between
two segments. Then the same events again, one `send-keys` call each, into a second studio; both quit with `q`
and their session files (session.json and the mask) must be byte for byte the same.

Measured: each input's handling time (MONOPIX_STUDIO_TRACE: from reading it to the drawn frame), the time from
sending a marker key (`v`, then `V` to undo it) after each segment until the screen shows it (which includes
working through everything queued before it), and the studio's VmRSS before, during and after the storm.
Fails when a marker takes longer than --bar ms (50) to show... from the moment the storm stops being sent, when
the two final states differ, or when memory after the storm is more than 64 MB above the slow run's (the engine's
caches grow with what was painted either way; a storm must not cost more).
The keys that would end the run or wait for an answer (q, ?, Ctrl+E/S/O, T, Escape) and image switches (their
asynchronous load would make the outcome depend on timing) are left out; resizes come between segments, once the
studio has answered the marker, because where a click lands depends on the window's size.
"""
import argparse, os, random, re, shutil, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reliability_common import BINARY, ROOT, Tmux, rss_kib

KEYS = (list(",.<>0123456789;'[]{}bexdhjklHJKLfgsmoi|wvQ()+-=_zcuU") + ["Enter", "Space", "C-z", "C-y", "Tab", "t"])
SIZES = [(120, 40), (100, 30), (140, 45), (90, 28), (120, 40)]
TITLE_VIEW = re.compile(r"│ (input │ output|output|input|mask overlay|wipe[^│]*) │")


def storm_events(count, rng, width=120, height=40):
    """Gestures of `count` atoms in all: each a list of ("key", name) or ("mouse", sgr text) atoms; a drag is one
    press, a few motions, one release (a segment never ends in the middle of one)."""
    gestures, total = [], 0
    while total < count:
        out = []
        gestures.append(out)
        if rng.random() < 0.55:
            out.append(("key", rng.choice(KEYS)))
            total += 1
            continue
        kind = rng.random()
        x, y = rng.randint(1, width), rng.randint(1, height)
        if kind < 0.1:
            out.append(("mouse", "\x1b[<%d;%d;%dM" % (rng.choice([64, 65]), x, y)))
            total += 1
            continue
        button = 2 if kind < 0.25 else 0
        out.append(("mouse", "\x1b[<%d;%d;%dM" % (button, x, y)))
        for _ in range(rng.randint(1, 12)):
            x, y = max(1, min(width, x + rng.randint(-4, 4))), max(1, min(height, y + rng.randint(-2, 2)))
            out.append(("mouse", "\x1b[<%d;%d;%dM" % (32 + button, x, y)))
        out.append(("mouse", "\x1b[<%d;%d;%dm" % (button, x, y)))
        total += len(out)
    return gestures


BYTES = {"Enter": "\r", "Space": " ", "C-z": "\x1a", "C-y": "\x19", "Tab": "\t"}


def send(tmux, atoms, burst):
    """Sends atoms as the terminal would, `burst` to a `send-keys -H` call (keys as their bytes; in hex, because
    tmux takes an argument `;` for the end of its command)."""
    for i in range(0, len(atoms), burst):
        data = "".join(BYTES.get(a[1], a[1]) for a in atoms[i:i + burst]).encode()
        tmux("send-keys", "-t", "s", "-H", *["%02x" % b for b in data])


def view_of(screen):
    m = TITLE_VIEW.search(screen.splitlines()[0] if screen else "")
    return m.group(1) if m else None


def marker(tmux):
    """`v` then `V` (next view, previous view): ms until each shows on the screen. (Not always back to where it
    was: the quick mask remembers a view of its own, and a key closes the help a click may have opened; the slow
    run gets the same markers at the same places.) None for a key whose effect did not show within 3 s."""
    times = []
    for key in ("v", "V"):
        before = view_of(tmux.screen())
        sent = time.time()
        tmux.keys(key)
        try:
            tmux.wait_for(lambda s: view_of(s) not in (None, before), timeout=3, what="the marker %s" % key, poll=0.002)
            times.append((time.time() - sent) * 1000)
        except RuntimeError:
            times.append(None)
    return times


def resize(tmux, width, height):
    tmux("resize-window", "-t", "s", "-x", str(width), "-y", str(height))
    tmux.wait_for(lambda s: len(s.splitlines()) == height and "level ├" in s, timeout=30, what="the resize")


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.running = pid, [], True

    def run(self):
        while self.running:
            v = rss_kib(self.pid)
            if v is not None:
                self.samples.append(v)
            time.sleep(0.05)


def run_studio(tmux, folder, session, trace, segments, burst, slow, demo):
    command = "cd '%s' && MONOPIX_STUDIO_TRACE='%s' exec %s studio '%s' --graphics blocks --session-dir '%s'%s" % (
        ROOT, trace, BINARY, folder, session, " --demo-renderer" if demo else "")
    tmux.start(command, *SIZES[0])
    tmux.wait_for(lambda s: "exact" in s and "level ├" in s, timeout=60, what="the first frame")
    pid = tmux.pane_pid()
    time.sleep(0.5)
    result = {"rss_before": rss_kib(pid), "markers": [], "send_s": 0.0}
    sampler = Sampler(pid)
    sampler.start()
    for i, atoms in enumerate(segments):
        started = time.time()
        if slow:
            for a in atoms:
                send(tmux, [a], 1)
                time.sleep(0.002)
        else:
            send(tmux, atoms, burst)
        result["send_s"] += time.time() - started
        result["markers"] += marker(tmux)
        if i + 1 < len(segments):
            resize(tmux, *SIZES[(i + 1) % len(SIZES)])
    time.sleep(1.5)  # let renders and the canvas encoder settle before reading memory
    result["rss_after"] = rss_kib(pid)
    sampler.running = False
    result["rss_peak"] = max(sampler.samples or [0])
    tmux.keys("q")
    deadline = time.time() + 30
    while os.path.exists("/proc/%d" % pid) and time.time() < deadline:
        time.sleep(0.05)
    tmux.stop()
    latencies = [float(m.group(1)) for m in re.finditer(r"^input \S+ answered in ([\d.]+) ms$", open(trace).read(), re.M)]
    result["inputs"] = len(latencies)
    result["handling_max"] = max(latencies or [0])
    result["handling_p99"] = sorted(latencies)[int(0.99 * (len(latencies) - 1))] if latencies else 0
    return result


def session_files(folder):
    return {n: open(os.path.join(folder, n), "rb").read() for n in sorted(os.listdir(folder)) if not n.startswith(".")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=20000, help="keys and mouse reports in the storm")
    ap.add_argument("--segments", type=int, default=5, help="storm segments, with a resize between two")
    ap.add_argument("--burst", type=int, default=400, help="events per tmux call in the storm")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--bar", type=float, default=50, help="ms a key may take to be answered")
    ap.add_argument("--demo-renderer", action="store_true", help="the studio's demo renderer instead of the bundled model")
    args = ap.parse_args()
    if not os.access(BINARY, os.X_OK):
        sys.exit("no %s: build it first (make build)" % BINARY)
    if shutil.which("tmux") is None:
        sys.exit("storm test: needs tmux")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print("seed %d (--seed %d repeats this run)" % (seed, seed), flush=True)
    rng = random.Random(seed)
    gestures = storm_events(args.events, rng)
    per = (len(gestures) + args.segments - 1) // args.segments
    segments = [[a for g in gestures[i:i + per] for a in g] for i in range(0, len(gestures), per)]
    events = [a for seg in segments for a in seg]
    work = tempfile.mkdtemp(prefix="monopix-storm-")
    tmux = Tmux("monopix-storm")
    try:
        folder = os.path.join(work, "images")
        os.makedirs(folder)
        shutil.copy(os.path.join(ROOT, "assets/samples/chelsea_dark.png"), folder)
        runs = {}
        for name, slow in (("storm", False), ("slow", True)):
            started = time.time()
            runs[name] = run_studio(tmux, folder, os.path.join(work, name), os.path.join(work, name + ".trace"),
                                    segments, args.burst, slow, args.demo_renderer)
            runs[name]["total_s"] = time.time() - started
        storm, slow = runs["storm"], runs["slow"]
        same = session_files(os.path.join(work, "storm")) == session_files(os.path.join(work, "slow"))
        if not same:
            for d in ("storm", "slow"):
                shutil.copy(os.path.join(work, d + ".trace"), os.path.join(work, d))
                shutil.copytree(os.path.join(work, d), os.path.join(tempfile.gettempdir(), "monopix-storm-%s-%d" % (d, seed)), dirs_exist_ok=True)
    finally:
        tmux.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("events sent %d (%d segments, %d resizes) in %.2f s of sending: %.0f events/s"
          % (len(events), len(segments), len(segments) - 1, storm["send_s"], len(events) / max(storm["send_s"], 1e-9)))
    print("handling (trace, read to drawn frame): %d reads, worst %.1f ms, p99 %.1f ms (slow run: worst %.1f ms)"
          % (storm["inputs"], storm["handling_max"], storm["handling_p99"], slow["handling_max"]))
    shown = [m for m in storm["markers"] if m is not None]
    print("marker after each segment, until on screen: worst %.1f ms (%s)"
          % (max(shown or [0]), ", ".join("%.0f" % m if m is not None else "-" for m in storm["markers"])))
    print("VmRSS: before %.1f MB, peak %.1f MB, after %.1f MB (slow run: %.1f -> %.1f MB)"
          % (storm["rss_before"] / 1024, storm["rss_peak"] / 1024, storm["rss_after"] / 1024,
             slow["rss_before"] / 1024, slow["rss_after"] / 1024))
    print("final state (session.json and mask) the same as the slow run's: %s" % ("yes" if same else "NO (kept in %s)" % tempfile.gettempdir()))
    print("durations: storm run %.0f s, slow run %.0f s" % (storm["total_s"], slow["total_s"]))
    failures = []
    if max(shown or [0]) > args.bar or storm["handling_max"] > args.bar:
        failures.append("a key took longer than %.0f ms" % args.bar)
    # The engine's caches (activations, the level ladder, undo history) grow with what was painted, storm or not:
    # "flat" means the storm ends no higher than the same events applied slowly.
    if storm["rss_after"] - slow["rss_after"] > 64 * 1024:
        failures.append("memory after the storm %.0f MB above the slow run's" % ((storm["rss_after"] - slow["rss_after"]) / 1024))
    if not same:
        failures.append("the final state differs from the slow run's")
    print("FAILED: " + "; ".join(failures) if failures else "OK")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
