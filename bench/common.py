"""Shared by the benchmark scripts: the command line, a description of the machine, and
writing ``<out>/<name>.json`` and ``<out>/<name>.png``. Benchmarks print and save what they
measured; none of them fails on a number."""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def arguments(doc: str, argv=None, extra=None) -> argparse.Namespace:
    """``--tiny`` (a small size that only proves the script works) and ``--out DIR``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: check that it runs, measure nothing")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"output directory (default {RESULTS})")
    for args, kwargs in extra or []:
        parser.add_argument(*args, **kwargs)
    return parser.parse_args(argv)


def machine() -> dict:
    """What the numbers were measured on (load average: others may share the machine)."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cpu": cpu, "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2), "python": platform.python_version(),
            "numpy": np.__version__, "git_commit": commit}


def write(out: Path, name: str, data: dict, fig) -> Path:
    """Save ``data`` as JSON and ``fig`` as a small PNG; return the JSON's path."""
    out.mkdir(parents=True, exist_ok=True)
    data = {"benchmark": name, **data}
    data.setdefault("machine", machine())
    path = out / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n", encoding="utf8")
    fig.savefig(out / f"{name}.png", dpi=72)
    print(f"wrote {path} and {out / (name + '.png')}", file=sys.stderr)
    return path


def latency_histogram(series, xlabel: str, title: str):
    """Step histograms of times in ms on a log axis, one per ``(times, color, label)``, with the
    200 ms line."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4), constrained_layout=True)
    bins = np.geomspace(0.1, max(1000, max(np.max(t) for t, _, _ in series)), 40)
    for times, color, label in series:
        ax.hist(times, bins=bins, histtype="step", color=color, label=label, lw=1.5)
    ax.axvline(200, color="C3", lw=1, ls="--", label="200 ms")
    ax.set(xscale="log", xlabel=xlabel, ylabel="moves", title=title)
    ax.legend(fontsize=8)
    return fig
