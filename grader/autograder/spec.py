"""What an assignment's source notebook asks: the cells to run and what each grade cell checks.

A grade cell (nbgrader ``grade: true``, code) is one of two kinds:

- **checks**: it names behaviours of homework parts, judged outside the sandbox. Read from the
  cell's metadata, ``{"autograder": {"checks": [["rprop", "growth", "Rprop"], ...]}}``, or else
  from its code by a strict parser: the cell holds only imports and top-level calls
  ``check("part", "behaviour", Class)`` (positional or ``part=``, ``behaviour=``, ``cls=``;
  ``check``, ``checks.check`` or ``autograder.check``). Several checks in a cell: the cell's
  points need every one of them.
- **plain**: an ordinary nbgrader test (no ``check`` call). It runs in the sandbox at its place in
  the notebook and passes when it raises nothing, as under ``nbgrader autograde``.

A cell that calls ``check`` in any other way cannot be read either way: ``SpecError`` names it.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat

CHECK_NAMES = {"check"}  # check(...), checks.check(...), autograder.check(...)
KEYWORDS = ("part", "behaviour", "cls")


class SpecError(ValueError):
    """The source notebook cannot be graded as written: the message names the cell and why."""


@dataclass(frozen=True)
class Grade:
    grade_id: str
    points: float
    checks: tuple = ()  # ((part, behaviour, class name), ...); empty for a plain test
    source: str = ""  # the source notebook's cell (a plain test runs it)

    @property
    def plain(self) -> bool:
        return not self.checks


@dataclass
class Spec:
    """A source notebook as the grader reads it."""

    notebook: str  # file name
    cells: list  # [(grade_id, kind, source)] of its code cells with nbgrader metadata, in order;
    #              kind: "locked" (instructor code, run from the source), "solution", "grade"
    grades: dict  # grade_id -> Grade
    source_cells: dict  # grade_id -> the grade cell as the source has it (to add back a deleted one)

    @property
    def solutions(self):
        return [gid for gid, kind, _ in self.cells if kind == "solution"]

    @property
    def parts(self) -> dict:
        """part -> the class name its checks are given."""
        return {p: cls for g in self.grades.values() for p, _, cls in g.checks}

    @classmethod
    def read(cls, path: Path) -> "Spec":
        nb = nbformat.read(str(path), as_version=4)
        cells, grades, originals = [], {}, {}
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade_id"):
                continue
            gid = meta["grade_id"]
            if meta.get("solution"):
                cells.append((gid, "solution", cell.source))
            elif meta.get("grade"):
                checks = read_checks(cell, f"{Path(path).name}: grade cell {gid!r}")
                grades[gid] = Grade(gid, float(meta.get("points", 0)), checks, cell.source)
                originals[gid] = cell
                cells.append((gid, "grade", cell.source))
            else:
                cells.append((gid, "locked", cell.source))
        return cls(Path(path).name, cells, grades, originals)


def read_checks(cell, where: str) -> tuple:
    """The checks of a grade cell: from its metadata, else from its code; () for a plain test."""
    meta = cell.get("metadata", {}).get("autograder", {})
    if "checks" in meta:
        raw = meta["checks"]
        if not (isinstance(raw, list) and raw and all(isinstance(c, list) and len(c) == 3
                                                      and all(isinstance(x, str) and x for x in c) for c in raw)):
            raise SpecError(f"{where}: metadata autograder.checks must be a list of [part, behaviour, class], got {raw!r}")
        return tuple(tuple(c) for c in raw)
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        raise SpecError(f"{where}: its code does not parse ({exc.msg}, line {exc.lineno})") from None
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_check(n.func)]
    if not calls:
        return ()
    out = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _is_check(stmt.value.func)):
            raise SpecError(f"{where}: line {stmt.lineno} is not a check(...) call; a grade cell with checks holds "
                            "only imports and check(\"part\", \"behaviour\", Class) calls (or say them in metadata)")
        out.append(_arguments(stmt.value, where))
    return tuple(out)


def _is_check(func) -> bool:
    return (isinstance(func, ast.Name) and func.id in CHECK_NAMES) or (
        isinstance(func, ast.Attribute) and func.attr in CHECK_NAMES and isinstance(func.value, ast.Name)
        and func.value.id in ("checks", "autograder"))


def _arguments(call: ast.Call, where: str) -> tuple:
    given = dict(zip(KEYWORDS, call.args))
    for kw in call.keywords:
        if kw.arg not in KEYWORDS or kw.arg in given:
            raise SpecError(f"{where}: line {call.lineno}: unexpected argument {kw.arg!r} to check")
        given[kw.arg] = kw.value
    if len(call.args) > 3 or set(given) != set(KEYWORDS):
        raise SpecError(f"{where}: line {call.lineno}: check needs exactly part, behaviour and a class")
    part, behaviour, cls = (given[k] for k in KEYWORDS)
    if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in (part, behaviour)) \
            or not isinstance(cls, ast.Name):
        raise SpecError(f"{where}: line {call.lineno}: check's part and behaviour must be strings and its class a name")
    return part.value, behaviour.value, cls.id
