#!/usr/bin/env python3
"""Seal/open a large random file with sealpost and with age; report medians and peak RSS.

Timings on shared machines are noisy, so every figure is relative to a reference run in the
same script: sealpost and age alternate on the same input, and the ratio of the medians is
reported. Peak RSS comes from /usr/bin/time -v. Outputs are checked byte for byte once.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

TIME = "/usr/bin/time"


def timed(argv):
    """Runs argv under /usr/bin/time -v; returns (wall seconds, peak RSS in KiB)."""
    proc = subprocess.run([TIME, "-v", *argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    hours, minutes, seconds = wall.groups()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds), int(rss.group(1))


def remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def same_file(a, b):
    return subprocess.run(["cmp", "-s", a, b]).returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sealpost", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--workdir", default="bench/work")
    args = parser.parse_args()
    sealpost = os.path.abspath(args.sealpost)
    os.makedirs(args.workdir, exist_ok=True)
    os.chdir(args.workdir)

    size = args.size_mib * 1024 * 1024
    if not os.path.exists("input.bin") or os.path.getsize("input.bin") != size:
        print(f"generating {args.size_mib} MiB of random input...", flush=True)
        with open("input.bin", "wb") as out:
            subprocess.run(["head", "-c", str(size), "/dev/urandom"], stdout=out, check=True)
    for path in ["age-key.txt", "home"]:
        remove(path)
    subprocess.run(["age-keygen", "-o", "age-key.txt"], check=True, stderr=subprocess.DEVNULL)
    recipient = subprocess.run(["age-keygen", "-y", "age-key.txt"], check=True,
                               capture_output=True, text=True).stdout.strip()
    subprocess.run([sealpost, "--home", "home", "init", "--name", "Bench", "--org", "Bench",
                    "--json"], check=True, stdout=subprocess.DEVNULL)
    keystore = json.loads(subprocess.run([sealpost, "--home", "home", "whoami", "--json"],
                                         check=True, capture_output=True).stdout)["keystore"]
    if keystore != "os-keyring":
        sys.exit("the benchmark identity is not in the OS keyring; run through bench/seal-open")

    commands = {
        "age seal": (["age", "-r", recipient, "-o", "age.out", "input.bin"], ["age.out"]),
        "age seal + fsync": (["sh", "-c", f"age -r {recipient} -o age.out input.bin && sync age.out"],
                             ["age.out"]),
        "sealpost seal": ([sealpost, "--home", "home", "seal", "input.bin", "--to", recipient,
                           "--label", "confidential", "--no-compress", "-o", "sp.parcel"],
                          ["sp.parcel"]),
        "age open": (["age", "-d", "-i", "age-key.txt", "-o", "age.dec", "age.out"], ["age.dec"]),
        "age open + fsync": (["sh", "-c", "age -d -i age-key.txt -o age.dec age.out && sync age.dec"],
                             ["age.dec"]),
        "sealpost open": ([sealpost, "--home", "home", "open", "sp.parcel", "-o", "opened"],
                          ["opened"]),
    }
    # Seals before opens: each open reads the parcel its tool sealed in the same run.
    order = ["age seal", "age seal + fsync", "sealpost seal",
             "age open", "age open + fsync", "sealpost open"]
    results = {name: {"wall": [], "rss_kib": []} for name in order}
    for run in range(args.runs):
        for name in order:
            argv, outputs = commands[name]
            for output in outputs:
                remove(output)
            wall, rss = timed(argv)
            results[name]["wall"].append(wall)
            results[name]["rss_kib"].append(rss)
        print(f"run {run + 1}/{args.runs}: " + ", ".join(
            f"{name} {results[name]['wall'][-1]:.2f}s" for name in order), flush=True)
        if run == 0:
            assert same_file("input.bin", "age.dec"), "age round trip differs"
            assert same_file("input.bin", "opened/input.bin"), "sealpost round trip differs"

    def median(name):
        return statistics.median(results[name]["wall"])

    def peak(name):
        return max(results[name]["rss_kib"]) / 1024

    summary = {
        "size_mib": args.size_mib,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "median_seconds": {name: round(median(name), 3) for name in order},
        "peak_rss_mib": {name: round(peak(name), 1) for name in order},
        "ratios": {
            "seal vs age": round(median("sealpost seal") / median("age seal"), 3),
            "seal vs age + fsync": round(median("sealpost seal") / median("age seal + fsync"), 3),
            "open vs age": round(median("sealpost open") / median("age open"), 3),
            "open vs age + fsync": round(median("sealpost open") / median("age open + fsync"), 3),
        },
        "parcel_bytes": os.path.getsize("sp.parcel"),
        "age_file_bytes": os.path.getsize("age.out"),
    }
    with open("seal-open.json", "w") as out:
        json.dump({"summary": summary, "raw": results}, out, indent=2)

    print(f"\n{args.size_mib} MiB random file, {args.runs} runs, {os.cpu_count()} CPUs")
    print("| command | median wall (s) | peak RSS (MiB) |")
    print("|---|---:|---:|")
    for name in order:
        print(f"| {name} | {median(name):.2f} | {peak(name):.1f} |")
    print()
    for label, ratio in summary["ratios"].items():
        print(f"{label}: {ratio:.2f}x")
    print(f"parcel size {summary['parcel_bytes']} bytes vs age file {summary['age_file_bytes']}")

    # Where sealing time goes: the two primitives alone, on the same input, beside Go age.
    print("\nprimitives on the same input (one run each, after the runs above):")
    subprocess.run([os.path.join(os.path.dirname(sealpost), "examples", "primitive-speed"),
                    "input.bin"], check=True)
    go_age, _ = timed(["age", "-r", recipient, "-o", "/dev/null", "input.bin"])
    print(f"Go age encrypt:       {go_age:.3f} s  {size / go_age / 1e6:.0f} MB/s")


if __name__ == "__main__":
    main()
