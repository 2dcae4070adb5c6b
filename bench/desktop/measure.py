"""The desktop app's measurements (issue 7), run by bench/desktop/run.

Cold start to first paint: the app is started N times on a private Xvfb display, each time with
a fresh data directory (the onboarding screen) and SEALPOST_TIMING=1, which makes it print the
wall-clock time of the UI's first painted frame (the UI asks for it from a requestAnimationFrame
callback after its first render). Start-to-paint is that time minus the moment just before the
process was spawned, so it includes exec, dynamic linking, GTK and WebKit start-up and loading
the UI. The first run follows the build (files in the page cache, WebKit's own caches cold);
the median is over all runs.

Memory at idle: one more start, 10 s after first paint with nothing happening, the PSS
(proportional set size: shared pages counted once, split among sharers) and RSS of the app and
every process it started (WebKit's web and network processes), from /proc/PID/smaps_rollup.

Sizes: the release binary, stripped or not as Cargo built it, and the .deb when one was built.

Usage: measure.py BINARY DEB_OR_EMPTY RUNS RESULTS_MD COMMAND_LINE
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from machine import machine  # noqa: E402

MARKER = "sealpost-desktop: first paint at unix ms "


def start_display():
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    number = xvfb.stdout.readline().decode().strip()
    if not number:
        sys.exit("Xvfb did not start")
    return xvfb, f":{number}"


def launch(binary, display):
    """Starts the app; returns (process, home, stderr path, spawn time in unix ms)."""
    home = tempfile.mkdtemp(prefix="sealpost-bench-home-")
    err_path = os.path.join(home, "stderr.txt")
    env = dict(os.environ, DISPLAY=display, SEALPOST_HOME=home, SEALPOST_TIMING="1")
    env.update(WEBKIT_DISABLE_COMPOSITING_MODE="1", WEBKIT_DISABLE_DMABUF_RENDERER="1")
    err = open(err_path, "w")
    spawned = time.time() * 1000
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=err,
                            start_new_session=True)
    return proc, home, err_path, spawned


def first_paint(err_path, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(err_path) as f:
            for line in f:
                if line.startswith(MARKER):
                    return float(line[len(MARKER):].strip())
        time.sleep(0.02)
    sys.exit(f"no first paint within {timeout} s; the app said:\n" + open(err_path).read())


def descendants(pid):
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children = {}
    for line in out.split("\n"):
        if line.strip():
            p, pp = map(int, line.split())
            children.setdefault(pp, []).append(p)
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def memory_kib(pids):
    pss = rss = 0
    names = []
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
            with open(f"/proc/{p}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return pss, rss, names


def stop(proc):
    try:
        os.killpg(proc.pid, 9)
    except ProcessLookupError:
        pass
    proc.wait()


def main():
    binary, deb, runs, results, command = sys.argv[1:6]
    runs = int(runs)
    xvfb, display = start_display()
    try:
        starts = []
        for i in range(runs):
            proc, home, err_path, spawned = launch(binary, display)
            painted = first_paint(err_path)
            starts.append(painted - spawned)
            print(f"run {i + 1}: first paint {painted - spawned:.0f} ms after spawn", flush=True)
            stop(proc)
            time.sleep(0.5)
        proc, home, err_path, spawned = launch(binary, display)
        first_paint(err_path)
        time.sleep(10)
        pss, rss, names = memory_kib(descendants(proc.pid))
        stop(proc)
    finally:
        xvfb.kill()
    binary_bytes = os.path.getsize(binary)
    deb_bytes = os.path.getsize(deb) if deb else None
    median = statistics.median(starts)
    m = machine()
    mib = 1024 * 1024
    lines = [
        "# Desktop app: start-up, size, memory (bench/desktop/run)",
        "",
        f"Command: `{command}`. Machine: {m['cpu']}, {m['nproc']} cores, "
        f"{m['ram_gib']:.0f} GiB, {m['os']}.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| cold start to first paint, median of {runs} (first run {starts[0]:.0f} ms) "
        f"| {median:.0f} ms | ≤ 1000 ms |",
        f"| all runs (ms) | {', '.join(f'{s:.0f}' for s in starts)} | |",
        f"| release binary `sealpost-desktop` | {binary_bytes / mib:.1f} MiB | ≤ 20 MB |",
        "| `.deb` | "
        + (f"{deb_bytes / mib:.1f} MiB" if deb_bytes else "not built (tauri-cli not installed)")
        + " | ≤ 20 MB |",
        f"| memory at idle, PSS of {len(names)} processes ({', '.join(sorted(names))}) "
        f"| {pss / 1024:.0f} MiB | |",
        f"| memory at idle, RSS summed (counts shared libraries once per process) "
        f"| {rss / 1024:.0f} MiB | |",
        "",
        "Start-to-paint is measured from just before the process is spawned to the UI's first",
        "painted frame (the app prints it with SEALPOST_TIMING=1), on Xvfb without a GPU, with a",
        "fresh data directory each run (the onboarding screen). Idle memory: 10 s after first",
        "paint, nothing happening.",
        "",
    ]
    with open(results, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


main()
