"""What the benchmarks record about the machine they ran on; shared by bench/*/summarise.py."""

import os
import platform
import re
import subprocess


def output(argv):
    """A command's stdout, stripped, or "?" when it cannot run."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def machine():
    """CPU model, core count, memory and operating system."""
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    distro = "?"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            distro = m.group(1) if m else "?"
    return {"cpu": cpu, "nproc": os.cpu_count(), "ram_gib": mem_kib / 1024 / 1024,
            "os": f"{distro}, Linux {platform.release()}"}
