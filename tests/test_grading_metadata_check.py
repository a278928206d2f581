"""The grader's CheckCellMetadata is nbgrader's with the schema compiled once: it accepts and
rejects exactly what nbgrader's own does, on every kind of cell metadata nbgrader knows."""
import copy

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata as NbgraderCheck

from autograder.nbgrader_plugin import CheckCellMetadata

GOOD = {"grade": True, "solution": False, "locked": True, "points": 2, "grade_id": "t", "schema_version": 3}
CASES = {
    "a valid grade cell": {},
    "a valid solution cell": {"grade": False, "solution": True, "locked": False, "points": None},
    "points not a number": {"points": "two"},
    "negative points": {"points": -1},
    "no grade_id": {"grade_id": None},
    "grade not a boolean": {"grade": "yes"},
    "an old schema": {"schema_version": 1},
    "a schema from the future": {"schema_version": 9},
    "an unknown key": {"colour": "red"},
}


def verdict(check, metadata):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": metadata})])
    try:
        check().preprocess(nb, {})
    except Exception as exc:  # noqa: BLE001 - the type and message are what is compared
        return type(exc).__name__, str(exc)
    return "accepted"


@pytest.mark.parametrize("case", CASES)
def test_the_same_verdict_as_nbgraders_check(case):
    metadata = {k: v for k, v in {**GOOD, **CASES[case]}.items() if v is not None}
    ours, theirs = verdict(CheckCellMetadata, copy.deepcopy(metadata)), verdict(NbgraderCheck, copy.deepcopy(metadata))
    assert ours == theirs
    assert (ours == "accepted") == case.startswith("a valid"), ours  # both verdicts occur
