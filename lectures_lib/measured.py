"""Reading the benchmarks' results (bench/results/*.json, written by ``make bench``) into the
book: where they are, and small HTML tables and notes built from computed sentences (the pages
need no pandas). Used by the chapter "Measured" and the engineering appendix."""
from __future__ import annotations

import html
import json
import os
from pathlib import Path

BENCHMARKS = ("rates", "encoders", "throughput", "book")


def results_dir(start=None) -> Path:
    """bench/results of the course repository that ``start`` (default: the working directory)
    lies in, or the folder named by the environment variable BENCH_RESULTS."""
    if os.environ.get("BENCH_RESULTS"):
        return Path(os.environ["BENCH_RESULTS"])
    here = Path.cwd() if start is None else Path(start)
    for folder in [here, *here.parents]:
        if (folder / "bench" / "results" / "rates.json").exists():
            return folder / "bench" / "results"
    raise FileNotFoundError(f"bench/results/*.json not found above {here}: run this notebook in a clone of the "
                            "course repository, where `make bench` writes them")


def load(names=BENCHMARKS, start=None) -> dict:
    """{name: the parsed bench/results/<name>.json} for each benchmark name."""
    folder = results_dir(start)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise ValueError(f"unknown benchmarks {unknown}: expected some of {BENCHMARKS}")
    return {name: json.loads((folder / f"{name}.json").read_text(encoding="utf8")) for name in names}


def num(v, spec: str = "{:.0f}", none: str = "∞") -> str:
    """``spec.format(v)``, or ``none`` for a missing value (a run that never got there)."""
    return none if v is None else spec.format(v)


def table(header, rows, caption: str = "") -> str:
    """An HTML table with the class the book's stylesheet knows; every cell is escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="table ll-bench">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def note(title: str, items) -> str:
    """An admonition like MyST's, built from computed sentences."""
    li = "".join(f"<li>{html.escape(str(i))}</li>" for i in items)
    return f'<div class="admonition note"><p class="admonition-title">{html.escape(title)}</p><ul>{li}</ul></div>'
