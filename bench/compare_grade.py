"""Grading throughput of two checkouts (before and after a change), alternated on one machine.

    python3 bench/compare_grade.py N ROUNDS JOBS TREE:CMD[@UID] TREE:CMD[@UID]

CMD is the grading command in TREE/.venv/bin, with + for a space: the grader before issue 10
(f30d571) is ``lectures-lib+grade``, after it ``autograde``. With @UID each copy of the course
belongs to that uid, so that the grader runs nbgrader and writes as it (least privilege): the
folders above the checkout and Python must be open to it (o+x), or the grader refuses to start.
Each checkout needs its own venv (``make venv`` in it): the sandbox runs ``python -I``, so no
PYTHONPATH trick mixes them. Each generates its course of N submissions with its own
bench/grade.py (the same mix); every round grades a fresh copy with each, the order reversed
every other round, ``--timeout 5``. Prints each run's seconds and the mean ratio second/first;
a run that fails ends it (its time would mean nothing).
"""
import json
import os
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
        cmd, _, uid = cmd.partition("@")
        tree = Path(tree)
        trees.append((tree, [str(tree / ".venv/bin" / cmd.split("+")[0])] + cmd.split("+")[1:], uid))
    tmp = Path(tempfile.mkdtemp(prefix="cmp-"))
    tmp.chmod(0o711)  # an owner's course inside it must be reachable
    bases = []
    for i, (tree, cmd, _) in enumerate(trees):
        base = tmp / f"base{i}"
        generate(tree, cmd, n, base)
        bases.append(base)
    names = [f"{t}@{uid}" if uid else str(t) for t, _, uid in trees]
    times = {name: [] for name in names}
    for r in range(rounds):
        order = list(range(len(trees)))
        if r % 2:
            order.reverse()
        for i in order:
            tree, cmd, uid = trees[i]
            course = tmp / f"run{r}_{i}"
            shutil.copytree(bases[i], course, ignore=shutil.ignore_patterns(
                "autograded", "feedback", "autograde-records", "grading.json"))
            if uid:
                for path in [course, *course.rglob("*")]:
                    os.chown(path, int(uid), int(uid), follow_symlinks=False)
            start = time.perf_counter()
            done = subprocess.run(cmd + [str(course), "--jobs", jobs, "--timeout", "5"], capture_output=True, text=True,
                                  cwd=tree)  # (a checkout as the working folder puts its own library first)
            took = time.perf_counter() - start
            if done.returncode:
                sys.exit(f"{' '.join(cmd)} {course}: exit {done.returncode}\n{done.stderr[-1500:]}")
            load = open("/proc/loadavg").read().split()[0]
            times[names[i]].append(took)
            print(f"round {r} {Path(names[i]).name}: {took:.1f} s rc {done.returncode} load {load}", flush=True)
            shutil.rmtree(course, ignore_errors=True)
    print(json.dumps(times))
    if len(names) == 2:
        a, b = (sum(times[k]) / len(times[k]) for k in names)
        print(f"mean {Path(names[0]).name} {a:.1f} s, {Path(names[1]).name} {b:.1f} s, second/first {b / a:.3f}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
