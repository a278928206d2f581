"""Grading throughput of two checkouts (before and after a change), alternated on one machine.

    python3 bench/compare_grade.py N ROUNDS JOBS TREE:CMD TREE:CMD

CMD is the grading command in TREE/.venv/bin, with + for a space: the grader before issue 10
(f30d571) is ``lectures-lib+grade``, after it ``autograde``. Each checkout needs its own venv
(``make venv`` in it): the sandbox runs ``python -I``, so no PYTHONPATH trick mixes them. Each
generates its course of N submissions with its own bench/grade.py (the same mix); every round
grades a fresh copy with each, the order reversed every other round, ``--timeout 5``. Prints
each run's seconds and the mean ratio second/first; it measures, it fails on no number.
"""
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path



def generate(tree: Path, cmd: list, n: int, where: Path):
    code = f"""
import sys, subprocess, nbformat
from pathlib import Path
sys.path.insert(0, {str(tree / 'bench')!r})
import grade as g
base = g.make_course(Path({str(where)!r}))
subprocess.run({cmd!r} + [str(base)], check=True, capture_output=True)
release = base / "release" / "optimizers" / "optimizers.ipynb"
for i, kind in enumerate(g.kinds({n})):
    folder = base / "submitted" / f"s{{i:03d}}_{{kind}}" / "optimizers"
    folder.mkdir(parents=True)
    nbformat.write(g.submission(release, kind), folder / "optimizers.ipynb")
"""
    subprocess.run([str(tree / ".venv/bin/python"), "-c", code], check=True, cwd=tree)


def main():
    n, rounds, jobs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    trees = []
    for spec in sys.argv[4:]:
        tree, cmd = spec.split(":")
        tree = Path(tree)
        trees.append((tree, [str(tree / ".venv/bin" / cmd.split("+")[0])] + cmd.split("+")[1:]))
    tmp = Path(tempfile.mkdtemp(prefix="cmp-"))
    bases = []
    for i, (tree, cmd) in enumerate(trees):
        base = tmp / f"base{i}"
        generate(tree, cmd, n, base)
        bases.append(base)
    times = {str(t): [] for t, _ in trees}
    for r in range(rounds):
        order = list(range(len(trees)))
        if r % 2:
            order.reverse()
        for i in order:
            tree, cmd = trees[i]
            course = tmp / f"run{r}_{i}"
            shutil.copytree(bases[i], course, ignore=shutil.ignore_patterns(
                "autograded", "feedback", "autograde-records", "grading.json"))
            start = time.perf_counter()
            done = subprocess.run(cmd + [str(course), "--jobs", jobs, "--timeout", "5"], capture_output=True, text=True)
            took = time.perf_counter() - start
            load = open("/proc/loadavg").read().split()[0]
            times[str(tree)].append(took)
            print(f"round {r} {tree.name}: {took:.1f} s rc {done.returncode} load {load}", flush=True)
            shutil.rmtree(course, ignore_errors=True)
    names = list(times)
    print(json.dumps(times))
    if len(names) == 2:
        a, b = (sum(times[k]) / len(times[k]) for k in names)
        print(f"mean {Path(names[0]).name} {a:.1f} s, {Path(names[1]).name} {b:.1f} s, second/first {b / a:.3f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
