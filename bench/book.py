"""Book build time: a clean build (no output, no execution cache: every chapter executed) and a
rebuild with nothing changed, both strict as `make book` (-W -n --keep-going).

    python bench/book.py [--tiny] [--out bench/results] [--toc _toc.yml]

Both build a copy of the repository in a temporary directory: the execution cache lives in the
sources' own _build (book/_ext/lectures_book.py, ``execution_cache``), so a build of the
repository itself would reuse the chapters' cached outputs. The book's own _build is never
touched. --tiny builds only the landing page (book/intro).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import yaml  # noqa: E402

import common  # noqa: E402


def pages(toc: Path):
    data = yaml.safe_load(toc.read_text(encoding="utf8"))
    found = [data["root"]]

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "file":
                    found.append(value)
                elif key != "root":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def build(src: Path, toc: Path, output: Path):
    """(seconds, return code, the output's last lines) for one strict build of ``src``."""
    cmd = [sys.executable, str(src / "book" / "_ext" / "build.py"), "build", str(src), "--toc", str(toc),
           "--path-output", str(output), "-W", "-n", "--keep-going"]
    t0 = time.perf_counter()
    run = subprocess.run(cmd, cwd=src, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    return seconds, run.returncode, (run.stdout + run.stderr)[-3000:]


def main(argv=None):
    t_start = time.perf_counter()
    args = common.arguments(__doc__, argv, extra=[(("--toc",), {"type": Path, "default": common.ROOT / "_toc.yml"})])
    with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
        tmp = Path(tmp)
        src = tmp / "src"
        shutil.copytree(common.ROOT, src, ignore=shutil.ignore_patterns(
            ".git", ".venv", "_build", "build", "*.egg-info", "__pycache__", "test-vendor"))
        toc = args.toc.resolve()
        if toc.is_relative_to(common.ROOT):
            toc = src / toc.relative_to(common.ROOT)
        if args.tiny:
            toc = tmp / "toc.yml"
            toc.write_text("format: jb-book\nroot: book/intro\n", encoding="utf8")
        output = tmp / "out"
        listed = pages(toc)
        clean, clean_rc, clean_log = build(src, toc, output)
        again, again_rc, again_log = build(src, toc, output)
        shutil.rmtree(output, ignore_errors=True)
    ok = clean_rc == 0 and again_rc == 0
    print(f"{len(listed)} pages: clean build {clean:.1f} s (exit {clean_rc}), rebuild with nothing changed "
          f"{again:.1f} s (exit {again_rc}); clean / rebuild = {clean / again:.1f}")
    if not ok:
        print("the build failed; its last output:\n" + (clean_log if clean_rc else again_log), file=sys.stderr)

    fig, ax = plt.subplots(figsize=(5.5, 2.0))
    ax.barh([1, 0], [clean, again], color=["C0", "C2"])
    ax.set_yticks([1, 0], ["clean build", "rebuild, nothing changed"])
    for y, s in [(1, clean), (0, again)]:
        ax.text(s, y, f" {s:.1f} s", va="center", fontsize=8)
    ax.set(xlabel="seconds", xlim=(0, 1.2 * clean), title=f"Book build ({len(listed)} pages, strict)")
    fig.tight_layout()
    common.write(args.out, "book", {
        "tiny": args.tiny, "seconds": round(time.perf_counter() - t_start, 1), "pages": listed, "ok": ok,
        "clean_seconds": round(clean, 2), "rebuild_seconds": round(again, 2), "clean_over_rebuild": clean / again,
        "clean_exit": clean_rc, "rebuild_exit": again_rc,
        "command": "python book/_ext/build.py build . --toc TOC --path-output TMP -W -n --keep-going"}, fig)


if __name__ == "__main__":
    sys.exit(main())
