#!/usr/bin/env python3
"""Records and summarises bench/sync/run: medians per measurement, the bytes on the wire against
the CSV's size, the delivery time against curl's through the same link, and RESULTS.md.

    summarise.py --record KIND RUN BEFORE AFTER EXTRA   one JSON line for runs.jsonl
    summarise.py --line JSON                            one record, as a progress line
    summarise.py RUNS.jsonl META.json RESULTS.md        the tables, printed and written

BEFORE and AFTER are the namespace TUN device's counters, "tx_bytes rx_bytes tx_packets
rx_packets"; EXTRA is a JSON object merged into the record. KIND is `idle` (a sync pass with
nothing to send), `sealpost` (send --no-sync, then sync), `curl-raw` or `curl-sealed`.
"""

import datetime
import json
import os
import re
import statistics
import sys
import textwrap

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from machine import machine, output  # noqa: E402

# Everything after this line in RESULTS.md is kept when the script writes it again.
KEEP_MARKER = "<!-- analysis: kept when bench/sync/run writes this file again -->"
MB = 1_000_000
MIB = 1 << 20


def record(kind, run, before, after, extra):
    b = [int(x) for x in before.split()]
    a = [int(x) for x in after.split()]
    out = {"kind": kind, "run": int(run), "tx_bytes": a[0] - b[0], "rx_bytes": a[1] - b[1],
           "tx_packets": a[2] - b[2], "rx_packets": a[3] - b[3]}
    out.update(json.loads(extra))
    print(json.dumps(out))


def upload_start(trace_dir, r):
    """With --trace: seconds from the start of the measured command until the connection that
    carried the upload (the most bytes acknowledged) first shows in `ss` (1 s samples); None
    without a trace."""
    path = os.path.join(trace_dir, f"ss-{r['kind']}-{r['run']}.log")
    if not os.path.exists(path):
        return None
    t0 = t = None
    first, acked, conn = {}, {}, None
    with open(path) as f:
        for line in f:
            if line.startswith("# "):
                t = float(line[2:])
                t0 = t if t0 is None else t0
            elif re.match(r"^(ESTAB|SYN-SENT|FIN-WAIT|CLOSE-WAIT|LAST-ACK)", line):
                conn = line.split()[3]
                first.setdefault(conn, t - t0)
            elif conn and (m := re.search(r"bytes_acked:(\d+)", line)):
                acked[conn] = max(acked.get(conn, 0), int(m.group(1)))
    if not acked:
        return None
    return first[max(acked, key=acked.get)]


def wire(r):
    return r["tx_bytes"] + r["rx_bytes"]


def progress_line(r):
    text = f"  run {r['run']} {r['kind']:11}: {r['s']:7.2f} s"
    if r["kind"] == "idle":
        text += f" (outbox, no network: {r['unlock_s']:.2f} s)"
    if r["kind"] == "sealpost":
        text = (f"  run {r['run']} sealpost   : seal {r['seal_s']:.2f} s "
                f"(parcel {r['parcel_bytes']} bytes, RSS {r['seal_rss_kib'] / 1024:.1f} MiB), "
                f"sync {r['s']:.2f} s in {r['passes']} pass(es) (RSS {r['rss_kib'] / 1024:.1f} MiB, "
                f"resent {r['resent_bytes']} bytes), IMO sync + open {r['imo_receive_open_s']:.2f} s, "
                f"SHA-256 ok")
    text += (f"; on the wire {r['tx_bytes']} up + {r['rx_bytes']} down = {wire(r)} bytes; "
             f"load {r['load']}")
    print(text, flush=True)


def med(values):
    return statistics.median(values)


def span(values, fmt):
    return f"{fmt.format(min(values))}–{fmt.format(max(values))}"


def summarise(runs_path, meta_path, results_path):
    with open(runs_path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    with open(meta_path) as f:
        meta = json.load(f)
    by = {}
    for r in records:
        by.setdefault(r["kind"], []).append(r)
    sp, idle, raw, sealed = by["sealpost"], by["idle"], by["curl-raw"], by["curl-sealed"]
    csv_bytes = meta["csv_bytes"]
    parcel_bytes = round(med([r["parcel_bytes"] for r in sp]))

    def row(name, rs, key="s", rss=None, wire_bytes=True):
        times = [r[key] for r in rs]
        cells = [name, f"{med(times):.2f}", span(times, "{:.2f}")]
        if wire_bytes:
            up = med([r["tx_bytes"] for r in rs])
            down = med([r["rx_bytes"] for r in rs])
            total = med([wire(r) for r in rs])
            cells += [f"{up / MB:.2f}", f"{down / MB:.2f}", f"{total / MB:.2f}",
                      f"{100 * total / csv_bytes:.1f} %"]
        else:
            cells += ["", "", "", ""]
        cells.append(f"{med([r[rss] for r in rs]) / 1024:.1f}" if rss else "")
        return "| " + " | ".join(cells) + " |"

    # Per run, pairs from the same run: the ratios' spread.
    def per_run(a, b, fa=lambda r: r["s"], fb=lambda r: r["s"]):
        pairs = {r["run"]: fa(r) for r in a}
        return [pairs[r["run"]] / fb(r) for r in b if r["run"] in pairs]

    seal_sync = [r["seal_s"] + r["s"] for r in sp]
    sync_vs_raw = med([r["s"] for r in sp]) / med([r["s"] for r in raw])
    total_vs_raw = med(seal_sync) / med([r["s"] for r in raw])
    sync_vs_sealed = med([r["s"] for r in sp]) / med([r["s"] for r in sealed])
    wire_share = med([wire(r) for r in sp]) / csv_bytes
    wire_vs_sealed = med([wire(r) for r in sp]) / med([wire(r) for r in sealed])
    wire_vs_raw = med([wire(r) for r in sp]) / med([wire(r) for r in raw])

    trace_dir = os.path.join(os.path.dirname(runs_path), "out")
    starts = {kind: [x for x in (upload_start(trace_dir, r) for r in by[kind]) if x is not None]
              for kind in ("sealpost", "curl-sealed", "curl-raw")}
    traced = []
    if all(len(starts[k]) == len(by[k]) for k in starts):
        def upload_only(kind):
            return [r["s"] - upload_start(trace_dir, r) for r in by[kind]]
        traced = [
            f"| time until the upload's own connection opens (`--trace`, 1 s samples): "
            f"sealpost sync; curl sealed; curl raw | {med(starts['sealpost']):.1f} s "
            f"({span(starts['sealpost'], '{:.0f}')}); {med(starts['curl-sealed']):.1f} s; "
            f"{med(starts['curl-raw']):.1f} s | |",
            f"| the upload alone, from then on: sealpost sync; curl sealed | "
            f"{med(upload_only('sealpost')):.1f} s ({span(upload_only('sealpost'), '{:.0f}')}); "
            f"{med(upload_only('curl-sealed')):.1f} s "
            f"({span(upload_only('curl-sealed'), '{:.0f}')}) | |",
        ]

    def mbit(nbytes, s):
        return nbytes * 8 / s / 1e6

    m = machine()
    date = datetime.date.today().isoformat()
    lines = [
        "# Sync over a bad link: results of `bench/sync/run`",
        "",
        f"- Date: {date}; `{meta.get('command', 'bench/sync/run')}`: medians of {len(sp)} runs "
        "(the range over runs after the median), the contenders alternating in order from run "
        "to run.",
        f"- Machine: {m['nproc']} vCPUs ({m['cpu']}), {m['ram_gib']:.1f} GiB RAM, {m['os']}.",
        f"- Link: `{meta['spec']}` in each direction (netem limit {meta['limit_packets']} packets), "
        "emulated in userspace by `tests/netem-wire.py` between a TUN device in the root "
        "namespace and one in the partner's namespace; 600 ms round trip before queueing.",
        f"- TCP congestion control: `{meta['ns_cc']}` in the partner's namespace (the sender of "
        f"every upload), `{meta['root_cc']}` in the root namespace (the relay)"
        + (f"; set with `--cc {meta['cc_set']}`." if meta["cc_set"] else
           "; the namespace's own default, not set by the script."),
        f"- Input: `bench/sync/beneficiaries.py --seed {meta['seed']}`: {csv_bytes} bytes, "
        f"{meta['csv_rows']} households, SHA-256 `{meta['csv_sha256'][:16]}…`.",
        f"- Built: `sealpost` and `sealpost-relay` at commit {meta['commit']}, release, "
        f"{meta['rustc']}; reference {meta['curl']}; {meta['python']} runs the wire.",
        "",
        "| measurement | median wall (s) | range (s) | up (MB) | down (MB) | on the wire (MB) "
        "| wire / CSV | peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        row("sealpost `send --no-sync` (scan, seal)", sp, key="seal_s", rss="seal_rss_kib",
            wire_bytes=False),
        row("**sealpost `sync`** (the upload)", sp, rss="rss_kib"),
        row("sealpost send + sync", [dict(r, s=r["seal_s"] + r["s"]) for r in sp],
            wire_bytes=False),
        row("sealpost `sync`, nothing to send", idle, rss="rss_kib"),
        row("sealpost `outbox` (unlock and store only, no network)", idle, key="unlock_s",
            wire_bytes=False),
        row("**curl, raw CSV** (reference)", raw),
        row("curl, the sealed parcel", sealed),
        "",
        "| figure | value | target |",
        "|---|---:|---:|",
        f"| bytes on the wire (sealpost sync, both directions) / CSV size | "
        f"**{100 * wire_share:.1f} %** | ≤ 30 % ({'met' if wire_share <= 0.30 else 'not met'}) |",
        f"| parcel / CSV size (zstd level 3 in the parcel) | "
        f"{100 * parcel_bytes / csv_bytes:.1f} % ({parcel_bytes} bytes) | |",
        f"| `zstd -3` of the CSV alone / CSV size | "
        f"{100 * meta['zstd3_bytes'] / csv_bytes:.1f} % | |",
        f"| delivery time, sealpost sync / curl raw CSV | **{sync_vs_raw:.2f}×** "
        f"(per run {span(per_run(sp, raw), '{:.2f}')}) | |",
        f"| send + sync / curl raw CSV | {total_vs_raw:.2f}× "
        f"(per run {span(per_run(sp, raw, fa=lambda r: r['seal_s'] + r['s']), '{:.2f}')}) | |",
        f"| sealpost sync / curl of the same sealed bytes | **{sync_vs_sealed:.2f}×** "
        f"(per run {span(per_run(sp, sealed), '{:.2f}')}) | |",
        f"| bytes on the wire, sealpost sync / curl of the sealed bytes | {wire_vs_sealed:.3f}× | |",
        f"| bytes on the wire, sealpost sync / curl raw CSV | {wire_vs_raw:.3f}× | |",
        f"| goodput: parcel over sealpost sync; CSV over curl; parcel over curl | "
        f"{mbit(parcel_bytes, med([r['s'] for r in sp])):.1f}; "
        f"{mbit(csv_bytes, med([r['s'] for r in raw])):.1f}; "
        f"{mbit(parcel_bytes, med([r['s'] for r in sealed])):.1f} Mbit/s | |",
        f"| bytes resent by sealpost (resumed uploads) | "
        f"{max(r['resent_bytes'] for r in sp)} (max over runs); sync passes: "
        f"{max(r['passes'] for r in sp)} (max) | |",
        *traced,
        f"| IMO sync + open, root namespace (not over the link) | "
        f"{med([r['imo_receive_open_s'] for r in sp]):.2f} s; SHA-256 of the opened file = CSV's "
        "in every run | |",
        "",
        "What exactly was measured: the partner's commands run inside the namespace "
        "(`ip netns exec NS sealpost --home … --passphrase-file …`), the relay and the IMO in the "
        "root namespace. **sealpost send** is `send CSV --to role:imo --label "
        "highly-confidential --no-sync` (the sensitivity scan of the file, then sealing into the "
        "outbox; no network). **sealpost sync** "
        "is the partner's next `sync` pass, which unlocks the identity (scrypt), logs in, checks "
        "relay deletions and the mailbox, creates the tus upload, HEADs it and sends the parcel "
        "in one PATCH; it ends when the relay has acknowledged the last byte. Before it, two "
        "passes run: one unmeasured (receipts of the previous run), then one with nothing to "
        "send, measured (**nothing to send**: the fixed cost of a pass over this link), and "
        "`sealpost outbox` in the namespace (**unlock and store only**: the identity's scrypt "
        "and the encrypted store, the part of that cost that is not the network). "
        "**curl** is `POST /v1/uploads` then one `PATCH` with the whole file (`--data-binary`), "
        "timed together; its bearer token comes from `sealpost relay-token` beforehand, untimed. "
        "Bytes on the wire are the IP bytes through the namespace's TUN device during the "
        "measured command: up = sent by the partner's side (retransmissions included, and "
        "packets the wire then drops), down = received by it (ACKs and answers that were not "
        "lost). Wall times from `$EPOCHREALTIME` around each command; peak RSS from "
        "`/usr/bin/time -v`.",
        "",
        "Raw figures of every run: `bench/work/sync/runs.jsonl` (one line per measurement).",
        "",
    ]
    def wrap(line):
        if line.startswith(("|", "#")) or len(line) <= 96:
            return line
        return textwrap.fill(line, width=96, subsequent_indent="  " if line.startswith("- ") else "",
                             break_long_words=False, break_on_hyphens=False)

    table = "\n".join(wrap(line) for line in lines)
    print(table)
    kept = ""
    if os.path.exists(results_path):
        with open(results_path) as f:
            old = f.read()
        if KEEP_MARKER in old:
            kept = old[old.index(KEEP_MARKER):]
    with open(results_path, "w") as f:
        f.write(table)
        f.write(kept or KEEP_MARKER + "\n")


def main():
    if sys.argv[1:2] == ["--record"] and len(sys.argv) == 7:
        record(*sys.argv[2:])
    elif sys.argv[1:2] == ["--line"] and len(sys.argv) == 3:
        progress_line(json.loads(sys.argv[2]))
    elif len(sys.argv) == 4:
        summarise(*sys.argv[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
