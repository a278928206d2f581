"""The similarity report: which submissions' solution cells are most alike, and how much of each
is found in the reference implementation and in well-known public ones (torch.optim, Keras).

``write(course, assignment)`` writes ``<course>/autograde-similarity/<assignment>.csv`` (every
comparison) and ``.html`` (the closest ones, with the matching fragments highlighted). It flags
for an instructor to read; it never reads or changes a score.

Each solution cell (nbgrader ``solution: true``, a code cell) is compared with the same cell of
every other submission: per part, never across parts. The fingerprints are copydetect's: pygments
tokens with every name replaced by one letter, strings by ``S``, comments and whitespace dropped
(so renaming variables or rewriting comments changes nothing), then every run of ``K`` such
characters hashed. A window of 1 (copydetect's default: guarantee threshold = noise threshold)
keeps every hash, so the result does not depend on Python's per-process hash seed, as a wider
winnowing window would. What the release gives every student (the cell with its solution
cleared, by nbgrader's ``ClearSolutions``) is boilerplate: it matches nothing.

Pairs are ranked by the matched share of both cells together (1: the same code); a submission
against a reference or public source by the share of the submission's code found there, since
those sources are longer than any answer. The public sources are read from the instructor's
installed packages (``parts.Public``); one not installed is named as such in the report.
"""
from __future__ import annotations

import argparse
import ast
import csv
import importlib.metadata
import importlib.util
import inspect
import io
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import parts

FOLDER = "autograde-similarity"  # <course>/autograde-similarity/<assignment>.csv and .html
ALL = "all parts"  # the part of a pair's rows over the whole submission
K = 25  # copydetect's noise threshold: the shortest match that counts, in normalised characters
WINDOW = 1  # every k-gram kept (see above)
LIMIT = 50_000  # characters of a cell compared: an answer is a few thousand; a pasted blob must not stall the report


@dataclass
class Code:
    """One piece of code compared: a student's cell, the reference or a public implementation."""

    owner: str  # the student, or the source's title
    text: str
    fingerprint: object  # copydetect.CodeFingerprint


@dataclass
class Match:
    part: str
    a: Code
    b: Code
    similarity: float
    share_a: float  # the share of a's code found in b
    share_b: float
    slices: tuple  # copydetect's matched (start, end) slices in a's and b's text


def write(course: Path, assignment: str) -> Path:
    """Compare every submission of ``assignment``; write the CSV and the HTML; return the HTML's path."""
    from .cli import _write_atomic  # one home for atomic writes (cli imports this module)
    from .similarity_html import render

    course = Path(course)
    source = course / "source" / assignment
    if not source.is_dir():
        raise ValueError(f"no assignment {assignment!r} in {course / 'source'}")
    cells = solution_cells(source)
    material = parts.load(source)
    students = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())
    pairs, sources, missing, notes, tokens = [], [], {}, [], dict.fromkeys(students, 0.0)
    for (notebook, grade_id), template in cells.items():
        part = grade_id.removesuffix("_solution")
        boilerplate = fingerprint(template).hashes
        submitted = {s: submitted_cell(course / "submitted" / s / assignment / notebook, grade_id) for s in students}
        missing[part] = sorted(s for s, text in submitted.items() if text is None)
        for s, text in submitted.items():
            if text is not None and len(text) > LIMIT:
                notes.append((part, f"the cell of {s} has {len(text)} characters: only the first {LIMIT} are compared"))
                submitted[s] = text[:LIMIT]
        codes = [Code(s, text, fingerprint(text, boilerplate)) for s, text in submitted.items() if text is not None]
        pairs += [compare(part, a, b) for a, b in itertools.combinations(codes, 2)]
        for code in codes:
            tokens[code.owner] += code.fingerprint.token_coverage
        for kind, title, text, note in references(material.parts.get(part) if material else None):
            if text is None:
                notes.append((part, f"not compared with {title}: {note}"))
                continue
            other = Code(title, text, fingerprint(text, boilerplate))
            sources += [(kind, note, compare(part, code, other)) for code in codes]
    pairs = sorted(overall(pairs, tokens) + pairs, key=lambda m: (m.part != ALL, m.part, -m.similarity, m.a.owner, m.b.owner))
    sources.sort(key=lambda s: (s[2].part, s[0] != "reference", s[2].b.owner, -s[2].share_a, s[2].a.owner))
    out = course / FOLDER
    out.mkdir(exist_ok=True)
    _write_atomic(out / f"{assignment}.csv", table(pairs, sources))
    html = out / f"{assignment}.html"
    _write_atomic(html, render(assignment, len(students), pairs, sources, missing, notes, K))
    return html


def solution_cells(source: Path) -> dict:
    """(notebook, grade_id) -> the cell as released (its solution cleared), for each code solution cell."""
    from nbgrader.preprocessors import ClearSolutions

    cells = {}
    for path in sorted(source.glob("*.ipynb")):
        released, _ = ClearSolutions().preprocess(nbformat.read(path, as_version=4), {})
        for cell in released.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution"):
                cells[(path.name, meta["grade_id"])] = cell.source
    return cells


def submitted_cell(path: Path, grade_id: str) -> str | None:
    """The student's cell ``grade_id`` of the notebook at ``path`` (None: no such notebook or cell)."""
    try:
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if isinstance(meta, dict) and meta.get("grade_id") == grade_id:
                text = cell.get("source", "")
                return text if isinstance(text, str) else "".join(text)
    except Exception:  # noqa: BLE001 - missing, not JSON, not a notebook: no cell, never the end of the report
        return None
    return None


def references(part) -> list:
    """(kind, title, code or None, licence or why it is missing) of the part's reference and public
    implementations."""
    if part is None:
        return []
    found = [("reference", part.reference, inspect.getsource(part.reference_class()), "the course's reference")]
    for public in part.public:
        text, where = public_code(public)
        found.append(("public", public.title, text, f"{where}, {public.licence}" if text else where))
    return found


def public_code(public) -> tuple:
    """The source of ``public`` in its installed package, and where it was read (or why it was not)."""
    path, qualname = public.source.rsplit(":", 1)
    package, inside = path.split("/", 1)
    folder = package_dir(package)
    if folder is None:
        return None, f"{package} is not installed here"
    file, version = folder / inside, _version(package)
    try:
        text = file.read_text(encoding="utf-8")
        node = _find(ast.parse(text), qualname.split("."))
    except (OSError, SyntaxError, UnicodeDecodeError):
        node = None
    if node is None:
        return None, f"{package} {version} has no {inside}:{qualname}"
    return ast.get_source_segment(text, node), f"{package} {version}, {inside}:{qualname}"


def package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it (torch takes seconds to import)."""
    spec = importlib.util.find_spec(package)
    return Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None


def _find(tree, names):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == names[0]:
            return node if len(names) == 1 else _find(node, names[1:])
    return None


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


def fingerprint(text: str, boilerplate=frozenset()):
    """copydetect's fingerprint of ``text`` (Python), the ``boilerplate`` hashes taken out.

    They are taken out here, not by copydetect's ``boilerplate=``: that one also drops every
    repeated fingerprint of the text (its ``np.intersect1d`` assumes unique hashes)."""
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    fp = CodeFingerprint("cell.py", K, WINDOW, fp=io.StringIO(text), language="python")
    if boilerplate:
        fp.hash_idx = {h: i for h, i in fp.hash_idx.items() if h not in boilerplate}
        fp.hashes = set(fp.hash_idx)
        fp.token_coverage = get_token_coverage(fp.hash_idx, K, len(fp.filtered_code))
    return fp


def compare(part: str, a: Code, b: Code) -> Match:
    """copydetect's overlap of two pieces of code: each one's matched share, and both together."""
    from copydetect import compare_files

    _, (share_a, share_b), slices = compare_files(a.fingerprint, b.fingerprint)
    ca, cb = a.fingerprint.token_coverage, b.fingerprint.token_coverage
    return Match(part, a, b, _ratio(share_a * ca + share_b * cb, ca + cb), float(share_a), float(share_b), slices)


def overall(pairs, tokens) -> list:
    """Each pair over the whole submission: the matched tokens of all parts over all their tokens
    (``tokens``: each student's, over every part they have)."""
    matched = {}
    for m in pairs:
        got = matched.setdefault((m.a.owner, m.b.owner), [0.0, 0.0])
        got[0] += m.share_a * m.a.fingerprint.token_coverage
        got[1] += m.share_b * m.b.fingerprint.token_coverage
    return [Match(ALL, Code(a, "", None), Code(b, "", None), _ratio(ma + mb, tokens[a] + tokens[b]),
                  _ratio(ma, tokens[a]), _ratio(mb, tokens[b]), ()) for (a, b), (ma, mb) in matched.items()]


def _ratio(matched, total):
    return float(matched / total) if total else 0.0


def table(pairs, sources) -> str:
    """The CSV: every pair, then every submission against each source, most similar first in each
    (part, source); ``rank`` counts within it."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["kind", "part", "rank", "student", "other", "similarity", "share_student", "share_other",
                     "other_source"])
    for part, group in itertools.groupby(pairs, key=lambda m: m.part):
        for rank, m in enumerate(group, 1):
            writer.writerow(["pair", part, rank, m.a.owner, m.b.owner, f"{m.similarity:.3f}", f"{m.share_a:.3f}",
                             f"{m.share_b:.3f}", ""])
    for (part, kind, title), group in itertools.groupby(sources, key=lambda s: (s[2].part, s[0], s[2].b.owner)):
        for rank, (_, where, m) in enumerate(group, 1):
            writer.writerow([kind, part, rank, m.a.owner, title, f"{m.share_a:.3f}", f"{m.share_a:.3f}",
                             f"{m.share_b:.3f}", where])
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="autograde-similarity", description=__doc__.splitlines()[0])
    parser.add_argument("course_dir", type=Path)
    parser.add_argument("--assignment", help="only this assignment (default: all in source/)")
    args = parser.parse_args(argv)
    source = args.course_dir / "source"
    if not source.is_dir():
        print(f"autograde-similarity: error: {args.course_dir} has no source/ folder", file=sys.stderr)
        return 2
    try:
        for assignment in [args.assignment] if args.assignment else sorted(p.name for p in source.iterdir() if p.is_dir()):
            print(f"similarity: {write(args.course_dir, assignment)}")
    except ValueError as exc:
        print(f"autograde-similarity: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
