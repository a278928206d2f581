"""Grading throughput: `autograde` (sandboxed) with 1 and 2 jobs, with 2 jobs and `--feedback`
(nbgrader's feedback pages rendered in the same run), against plain `nbgrader autograde` (the
course configuration without the sandbox) run serially on the same submissions, in one run.

    python bench/grade.py [--n 200] [--timeout 5] [--out bench/results] [--tiny]

The submissions are generated from the real homework: correct solutions, each plausible wrong
solution, and hostile ones (hangs, crashes, memory, huge output, spying, broken notebooks).
Timing figures are measured, printed and saved; nothing here fails on a number.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402

from common import ROOT, arguments, write  # noqa: E402

_VARIANTS = ROOT / "assignments" / "source" / "optimizers" / "autograde" / "variants.py"  # the instructor's
_spec = importlib.util.spec_from_file_location("optimizers_variants", _VARIANTS)
_variants = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_variants)
CORRECT, WRONG = _variants.CORRECT, _variants.WRONG

BIN = Path(sys.executable).parent
HOSTILE = {
    "hangs": "import time\ntime.sleep(3600)",
    "crashes": "import os\nos._exit(1)",
    "eats_memory": "x = bytearray(64 * 2**30)",
    "prints_20_MB": "print('x' * 20_000_000)",
    "spies": "import os\nprint(os.listdir('../../..'))",
    "forks": "import subprocess\nsubprocess.Popen(['sleep', '600'])",
}


def submission(release: Path, kind: str):
    nb = nbformat.read(release, as_version=4)
    sources = dict(CORRECT)
    if kind in WRONG:
        part, source, _ = WRONG[kind]
        sources[part] = source
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("_solution"):
            cell.source = "import numpy as np\n" + sources[gid[: -len("_solution")]]
    if kind in HOSTILE:
        nb.cells.append(nbformat.v4.new_code_cell(HOSTILE[kind]))
    if kind == "duplicated_test_cell":
        nb.cells.append(nbformat.from_dict(json.loads(json.dumps(nb.cells[-1]))))
        nb.cells[-1]["id"] += "-copy"
    return nb


def kinds(n):
    """A class of n: half correct, a third wrong in one way, the rest hostile. Fewer than the pool:
    a cycle whose first four (--tiny) are one of each kind of submission this script makes."""
    cycle = ["correct", "rprop_no_backtracking", "crashes", "duplicated_test_cell", "correct", "nesterov_lr_twice"]
    pool = (["correct"] * 10 + sorted(WRONG) + list(HOSTILE) + ["duplicated_test_cell"])
    return [pool[i % len(pool)] if n >= len(pool) else cycle[i % len(cycle)] for i in range(n)]


def make_course(where: Path) -> Path:
    where.mkdir(parents=True)
    shutil.copy(ROOT / "assignments" / "nbgrader_config.py", where)
    shutil.copytree(ROOT / "assignments" / "source", where / "source")
    return where


def timed(cmd, **kw):
    """Run ``cmd`` in a process group of its own; afterwards end what is left of that group (plain
    nbgrader leaves a submission's forked children running), and nothing else."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kw)
    try:
        out, err = proc.communicate(timeout=900)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return time.perf_counter() - start, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def main(argv=None):
    args = arguments(__doc__, argv, [(("--n",), {"type": int, "default": 200}),
                                     (("--timeout",), {"type": int, "default": 5,
                                                       "help": "seconds per cell, for both graders"})])
    n = 4 if args.tiny else args.n
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = make_course(tmp / "base")
        subprocess.run([str(BIN / "autograde"), str(base)], check=True, capture_output=True, env=env)
        release = base / "release" / "optimizers" / "optimizers.ipynb"
        mix = kinds(n)
        for i, kind in enumerate(mix):
            folder = base / "submitted" / f"s{i:03d}_{kind}" / "optimizers"
            folder.mkdir(parents=True)
            nbformat.write(submission(release, kind), folder / "optimizers.ipynb")
        seconds, status = {}, {}
        for name, extra in [("jobs_1", ["--jobs", "1"]), ("jobs_2", ["--jobs", "2"]),
                            ("jobs_2_feedback", ["--jobs", "2", "--feedback"])]:
            course = tmp / name
            shutil.copytree(base, course, ignore=shutil.ignore_patterns("autograded", "feedback", "autograde-records"))
            seconds[name], done = timed([str(BIN / "autograde"), str(course), *extra, "--timeout", str(args.timeout)],
                                        env=env)
            status[name] = done.returncode
        plain = tmp / "plain"
        shutil.copytree(base, plain, ignore=shutil.ignore_patterns("autograded", "feedback", "autograde-records"))
        config = plain / "nbgrader_config.py"  # nbgrader's own Execute, in the instructor's process
        config.write_text("\n".join(ln for ln in config.read_text().splitlines() if "configure" not in ln) + "\n")
        seconds["plain_nbgrader"], failures = 0.0, 0
        for student in sorted(p.name for p in (plain / "submitted").iterdir()):
            t, done = timed([str(BIN / "nbgrader"), "autograde", "optimizers", "--student", student, "--create",
                             "--force", f"--ExecutePreprocessor.timeout={args.timeout}"], cwd=plain, env=env)
            seconds["plain_nbgrader"] += t
            failures += done.returncode != 0
    per_min = {k: 60 * n / v for k, v in seconds.items()}
    result = {
        "tiny": args.tiny, "submissions": n, "mix": {k: mix.count(k) for k in sorted(set(mix))}, "cell_timeout_s": args.timeout,
        "seconds": seconds, "submissions_per_minute": per_min, "exit_codes": status,
        "plain_nbgrader_failed_submissions": failures,
        "isolated_cost_over_plain_per_submission": seconds["jobs_1"] / seconds["plain_nbgrader"],
        "speedup_2_jobs_over_1": seconds["jobs_1"] / seconds["jobs_2"],
        "feedback_cost_with_2_jobs": seconds["jobs_2_feedback"] / seconds["jobs_2"],
    }
    fig, ax = plt.subplots(figsize=(5.5, 2.6), constrained_layout=True)
    labels = {"plain_nbgrader": "plain nbgrader\n(serial)", "jobs_1": "autograde\n--jobs 1",
              "jobs_2": "autograde\n--jobs 2", "jobs_2_feedback": "autograde --jobs 2\n--feedback"}
    ax.barh([labels[k] for k in labels], [per_min[k] for k in labels], color=["0.6", "C0", "C1", "C2"])
    ax.set(xlabel="submissions graded per minute", title=f"{n} submissions of the homework")
    write(args.out, "grade", result, fig)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
