"""The grader inside nbgrader's own ``autograde``: everything after the run is nbgrader's.

``configure(c)`` (called from a course's ``nbgrader_config.py``, and by ``autograde`` itself)
replaces nbgrader's ``Execute`` step with ``SandboxGrade`` and adds ``SaveGraderComments``
after ``SaveAutoGrades``. nbgrader then does what its documentation promises: it copies the
submission to ``autograded/``, overwrites instructor cells from the source, reads
``timestamp.txt`` (late time, the late-penalty plugin), scores each grade cell from its output
(an error: 0 points), writes the gradebook, and ``generate_feedback`` renders the autograded
notebook with the gradebook's scores and comments, manual ones included. The formgrader's
Autograde button and ``nbgrader autograde`` grade in the sandbox too.

``SandboxGrade`` writes the verdict into the notebook: each cell the sandbox ran gets its output;
a grade cell that earned its points says what it checked and how often, one that did not gets an
error output with the reason; a deleted grade cell is added back at the end, graded from the
original; notes about the run head the notebook. ``autograde`` grades submissions in parallel
first and hands the results over (``PRECOMPUTED``); otherwise the preprocessor grades the
notebook itself, in one sandbox.
"""
from __future__ import annotations

import copy
from pathlib import Path
from unittest import mock

import nbformat
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import DeduplicateIds, NbGraderPreprocessor
from nbgrader.preprocessors import CheckCellMetadata as _NbgraderCheckCellMetadata

from . import courselock, parts, pipeline, sandbox, uids
from .spec import Spec

PRECOMPUTED: dict = {}  # (student, assignment, notebook) -> pipeline.Result


def configure(c) -> None:
    """Set a course's nbgrader configuration ``c`` to grade in the sandbox."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, ClearOutput, IgnorePattern, LimitOutput,
                                        OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

    c.Autograde.sanitize_preprocessors = [ClearOutput, DropDuplicateIds, OverwriteKernelspec, OverwriteCells,
                                          CheckCellMetadata]
    c.Autograde.autograde_preprocessors = [SandboxGrade, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                           SaveAutoGrades, SaveGraderComments, AssignLatePenalties, CheckCellMetadata]
    ignore = list(c.CourseDirectory.ignore) if "ignore" in c.CourseDirectory else list(CourseDirectory().ignore)
    if parts.FOLDER not in ignore:  # the hidden material never reaches release/ or autograded/
        c.CourseDirectory.ignore = ignore + [parts.FOLDER]


class DropDuplicateIds(DeduplicateIds):
    """nbgrader's DeduplicateIds (the last copy of a cell id is the cell), except that an earlier
    copy loses its ``nbgrader`` metadata entirely: nbgrader's own leaves ``{}``, which its metadata
    check then rejects as an old format, failing the whole submission."""

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class CheckCellMetadata(_NbgraderCheckCellMetadata):
    """nbgrader's metadata check, unchanged, except that its JSON schema is checked and compiled
    once per process: nbgrader calls ``jsonschema.validate``, which validates the schema itself
    again for every cell (a third of nbgrader's autograde time on this homework)."""

    def preprocess(self, nb, resources):
        from nbgrader.nbgraderformat import common

        with mock.patch.object(common, "jsonschema", _CompiledSchema):
            return super().preprocess(nb, resources)


class _CompiledSchema:
    """``jsonschema.validate`` (the same errors) with the last schema's validator kept."""

    _last: tuple = (None, None)

    @classmethod
    def validate(cls, instance, schema):
        import jsonschema

        if cls._last[0] != schema:
            validator = jsonschema.validators.validator_for(schema)
            validator.check_schema(schema)
            cls._last = (schema, validator(schema))
        error = jsonschema.exceptions.best_match(cls._last[1].iter_errors(instance))
        if error is not None:
            raise error


class SandboxGrade(NbGraderPreprocessor):
    """nbgrader's Execute, replaced: the notebook's cells run in the sandbox, checks are judged."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        key = (info["student"], info["assignment"], info["notebook"])
        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]))
        spec = Spec.read(source / f"{info['notebook']}.ipynb")
        result = PRECOMPUTED.pop(key, None)
        if result is None:
            submitted = Path(coursedir.format_path(coursedir.submitted_directory, info["student"], info["assignment"]))
            # nbgrader autograde or the formgrader's button: one grading run per course, as autograde's
            with courselock.hold(Path(coursedir.root), wait=False), uids.claim() as uid:
                result = pipeline.grade(spec, parts.load(source), info["student"],
                                        submitted / spec.notebook, uid, sandbox.Limits())
        resources["autograder"] = result
        return write_verdict(nb, spec, parts.load(source), result), resources


def write_verdict(nb, spec: Spec, material, result: pipeline.Result):
    """The notebook with the sandbox's outputs and each grade cell's verdict as its output."""
    present = set()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in spec.grades:
            present.add(gid)
            cell.outputs = _verdict(spec.grades[gid], material, result)
        else:
            cell.outputs = _outputs(result.outputs.get(gid if gid else f"cell {i + 1}"))
    for gid, grade in spec.grades.items():
        if gid not in present:  # deleted by the student: graded from the original
            cell = copy.deepcopy(spec.source_cells[gid])
            cell.source = f"# This test cell was missing from your notebook; it was graded from the original.\n{cell.source}"
            cell.outputs = _verdict(grade, material, result)
            nb.cells.append(cell)
    notes = ([f"**Not graded:** {result.failed}"] if result.failed else []) + result.notes
    if notes:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(
            "**About the autograder's run**\n\n" + "\n".join(f"- {_md(n)}" for n in notes)))
    return nb


def _verdict(grade, material, result):
    why = result.failed and f"not graded: {result.failed}" or result.messages.get(grade.grade_id, "")
    n = result.checked.get(grade.grade_id, 0)
    if why:
        return [nbformat.v4.new_output("error", ename="GradingError", evalue=why, traceback=[
            f"GradingError: {why}", f"(checked {n} time{'s' if n != 1 else ''})"])]
    if grade.plain:
        return _outputs(result.outputs.get(grade.grade_id))
    lines = [f"✔ {material.parts[p].behaviours[b]}" for p, b, _ in grade.checks]
    lines.append(f"checked {n} time{'s' if n != 1 else ''}")
    return [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]


def _outputs(ran):
    if not ran:
        return []
    out = [nbformat.v4.new_output("stream", name="stdout", text=ran["output"])] if ran["output"] else []
    if ran["error"]:
        name, _, value = ran["error"].partition(": ")
        out.append(nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[ran["error"]]))
    return out


def _md(text):
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;")


class SaveGraderComments(NbGraderPreprocessor):
    """After ``SaveAutoGrades``: each solution cell's gradebook comment says why the grade cells
    after it lost points (the formgrader shows it beside the cell, the feedback under it)."""

    def preprocess(self, nb, resources):
        result = resources.get("autograder")
        if result is None:
            return nb, resources
        info = resources["nbgrader"]
        lost, owner = {}, None
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                owner = meta["grade_id"]
                lost.setdefault(owner, [])
            elif meta.get("grade") and owner:
                gid = meta["grade_id"]
                why = result.failed and f"not graded: {result.failed}" or result.messages.get(gid)
                if why:
                    lost[owner].append(f"{gid} (0 of {float(meta.get('points', 0)):g} points): {why}")
        with Gradebook(info["db_url"]) as gb:
            for owner, lines in lost.items():
                if lines:
                    comment = gb.find_comment(owner, info["notebook"], info["assignment"], info["student"])
                    comment.auto_comment = "\n".join(lines)
            gb.db.commit()
        return nb, resources
