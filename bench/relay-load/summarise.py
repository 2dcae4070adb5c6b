#!/usr/bin/env python3
"""Summarises bench/relay-load runs: medians per scenario and server, the throughput ratio
relay/reference, and RESULTS.md with the machine, the versions and what was measured.

    summarise.py RUNS.jsonl RESULTS.md     the table, printed and written as markdown
    summarise.py --line JSON               one run, as a progress line

Each line of RUNS.jsonl is {"scenario", "run", "server", "rss_kib", "load": <the generator's
JSON line>}.
"""

import datetime
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from machine import machine as shared_machine, output  # noqa: E402

# Everything after this line in RESULTS.md is kept when the script writes it again.
KEEP_MARKER = "<!-- analysis: kept when bench/relay-load/run writes this file again -->"

SERVERS = [("sealpost", "sealpost-relay"), ("reference", "@tus/server")]


def op(load, name, key):
    return load["ops"].get(name, {}).get(key, float("nan"))


def progress_line(record):
    load = record["load"]
    print(f"  {record['scenario']} run {record['run']} {record['server']:9}: "
          f"{load['throughput_mib_s']:8.1f} MiB/s, "
          f"upload p50/p99 {op(load, 'upload', 'p50_ms'):.0f}/{op(load, 'upload', 'p99_ms'):.0f} ms, "
          f"download p50/p99 {op(load, 'download', 'p50_ms'):.0f}/"
          f"{op(load, 'download', 'p99_ms'):.0f} ms, "
          f"{load['errors']} errors, peak RSS {record['rss_kib'] / 1024:.1f} MiB", flush=True)
    for error in load["error_samples"]:
        print(f"    error: {error}", flush=True)


def machine():
    fs = output(["df", "-PT", "bench/work"]).splitlines()[-1].split()
    return {**shared_machine(), "disk": f"{fs[1]} on {fs[0]}" if len(fs) > 1 else "?"}


def commit():
    """The commit the run script built (it records it), else the current one."""
    path = "bench/work/relay-load/commit.txt"
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    return output(["git", "rev-parse", "--short", "HEAD"])


def versions():
    with open("bench/relay-load/reference/package-lock.json") as f:
        packages = json.load(f)["packages"]
    return {
        "relay": output(["target/release/sealpost-relay", "--version"]),
        "commit": commit(),
        "rustc": output(["rustc", "--version"]),
        "node": output(["node", "--version"]),
        "tus_server": packages["node_modules/@tus/server"]["version"],
        "tus_file_store": packages["node_modules/@tus/file-store"]["version"],
    }


def median(values):
    values = [v for v in values if v == v]  # drop NaN (an operation that never succeeded)
    return statistics.median(values) if values else float("nan")


def summarise(records):
    """{scenario: {"params": ..., server: {figure: median, ...}}}, in run order."""
    table = {}
    for r in records:
        load = r["load"]
        entry = table.setdefault(r["scenario"], {
            "clients": load["clients"], "size": load["size"], "rounds": load["rounds"],
            "chunk": load["chunk"], "runs": {}})
        entry["runs"].setdefault(r["server"], []).append(r)
    for entry in table.values():
        for server, runs in entry["runs"].items():
            loads = [r["load"] for r in runs]
            entry[server] = {
                "n": len(runs),
                "throughput": median([l["throughput_mib_s"] for l in loads]),
                "throughput_range": (min(l["throughput_mib_s"] for l in loads),
                                     max(l["throughput_mib_s"] for l in loads)),
                "wall": median([l["wall_s"] for l in loads]),
                "up50": median([op(l, "upload", "p50_ms") for l in loads]),
                "up99": median([op(l, "upload", "p99_ms") for l in loads]),
                "down50": median([op(l, "download", "p50_ms") for l in loads]),
                "down99": median([op(l, "download", "p99_ms") for l in loads]),
                "errors": sum(l["errors"] for l in loads),
                "rss": median([r["rss_kib"] / 1024 for r in runs]),
                "rss_max": max(r["rss_kib"] / 1024 for r in runs),
                "samples": [e for l in loads for e in l["error_samples"]][:5],
            }
        if "sealpost" in entry and "reference" in entry:
            entry["ratio"] = entry["sealpost"]["throughput"] / entry["reference"]["throughput"]
            pairs = zip(entry["runs"]["sealpost"], entry["runs"]["reference"])
            per_run = [s["load"]["throughput_mib_s"] / t["load"]["throughput_mib_s"]
                       for s, t in pairs]
            entry["ratio_range"] = (min(per_run), max(per_run))
    return table


def size_name(size):
    return f"{size >> 20} MiB" if size % (1 << 20) == 0 else f"{size} B"


def markdown_table(table):
    lines = [
        "| scenario | server | throughput (MiB/s) | upload p50 / p99 (ms) "
        "| download p50 / p99 (ms) | errors | peak RSS (MiB) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for entry in table.values():
        name = f"{entry['clients']} × {size_name(entry['size'])} × {entry['rounds']}"
        for server, label in SERVERS:
            if server not in entry:
                continue
            s = entry[server]
            lo, hi = s["throughput_range"]
            lines.append(
                f"| {name} | {label} | {s['throughput']:.1f} ({lo:.1f}–{hi:.1f}) "
                f"| {s['up50']:.0f} / {s['up99']:.0f} | {s['down50']:.0f} / {s['down99']:.0f} "
                f"| {s['errors']} | {s['rss']:.1f} (max {s['rss_max']:.1f}) |")
    lines += ["", "| scenario | throughput ratio relay / reference (median; per-run range) "
              "| target |", "|---|---:|---:|"]
    for entry in table.values():
        if "ratio" not in entry:
            continue
        name = f"{entry['clients']} × {size_name(entry['size'])} × {entry['rounds']}"
        lo, hi = entry["ratio_range"]
        met = "met" if entry["ratio"] >= 1.0 else "not met"
        lines.append(f"| {name} | **{entry['ratio']:.2f}×** ({lo:.2f}–{hi:.2f}) "
                     f"| ≥ 1.0× ({met}) |")
    return "\n".join(lines)


def write_results(path, table, records):
    m, v = machine(), versions()
    runs = max((e["sealpost"]["n"] for e in table.values() if "sealpost" in e), default=0)
    date = datetime.date.today().isoformat()
    errors = [(e, s) for e in table.values() for s in ("sealpost", "reference")
              if s in e and e[s]["samples"]]
    text = f"""# Relay load: results of `bench/relay-load/run`

- Date: {date}; medians of {runs} runs per server and scenario (the range over runs in
  brackets). The two servers alternate, each run on a fresh, empty data directory.
- Machine: {m['nproc']} vCPUs ({m['cpu']}), {m['ram_gib']:.1f} GiB RAM, {m['os']}; data
  directories on {m['disk']}.
- Relay: `{v['relay']}` at commit {v['commit']}, release build, {v['rustc']}.
- Reference: `@tus/server` {v['tus_server']} with `@tus/file-store` {v['tus_file_store']},
  Node.js {v['node']}.

{markdown_table(table)}

What exactly was measured: `crates/relay/examples/relay-load.rs` starts N clients at once on one
shared HTTP/1.1 connection pool (so N connections), all on loopback on the same machine as the
server. Each client, per round: tus creation (`POST`, `Upload-Length`, `Upload-Metadata`), the
blob in `PATCH`es of at most 8 MiB (one for 1 MiB, eight for 64 MiB), then a download of the
whole blob (streamed, its length and SHA-256 checked), then a tus termination (`DELETE`). On
the relay each client is its own member of a 202-member roster, logged in before the clock
starts; it addresses the blob to itself, lists its mailbox (`GET /v1/mailbox`, not part of the
download latency), downloads `GET /v1/blobs/{{id}}` and deletes `DELETE /v1/blobs/{{id}}`. On the
reference server the download is `GET` of the upload URL. Throughput = bytes uploaded plus
bytes downloaded and checked, over the wall time from the first request to the last answer
(creation, mailbox and deletion included). "Upload" latency is creation plus every PATCH of one
blob; "download" is one GET. Any non-2xx answer (429 included) or transport failure in the
measured phase is an error; nothing is retried. Peak RSS is the server process's "Maximum
resident set size" from `/usr/bin/time -v`, which stops it with SIGINT after the run.

The two servers do not do the same work per byte: the relay fsyncs the blob at the end of
every PATCH and commits each offset to SQLite (WAL, `synchronous=FULL`), so an acknowledged
byte is on disk; `@tus/file-store` writes through the page cache and never fsyncs. The
reference also checks nothing about who uploads or downloads.
"""
    if errors:
        text += "\nFirst errors seen:\n\n"
        for entry, server in errors:
            for sample in entry[server]["samples"]:
                text += f"- {server}, {entry['clients']} × {size_name(entry['size'])}: `{sample}`\n"
    text += ("\nRaw figures of every run: `bench/work/relay-load/runs.jsonl` (one line per run, "
             "the generator's JSON under `load`).\n")
    # Hand-written analysis below the marker survives a new run of the script.
    if os.path.exists(path):
        with open(path) as f:
            previous = f.read()
        if KEEP_MARKER in previous:
            text += "\n" + KEEP_MARKER + previous.split(KEEP_MARKER, 1)[1]
    with open(path, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--line":
        progress_line(json.loads(sys.argv[2]))
        return
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    table = summarise(records)
    print()
    print(markdown_table(table))
    write_results(sys.argv[2], table, records)
    print(f"\nwritten to {sys.argv[2]}")


if __name__ == "__main__":
    main()
