"""The homework's reference solution has one home, the assignment notebook's solution cells:
the graders' correct sources are those cells, and every wrong variant differs from them exactly
where it says it does. A notebook edited without the variants (or the reverse) fails here."""
import re
from pathlib import Path

import nbformat
import pytest

from homework import variants

SOURCE = Path(__file__).resolve().parents[1] / "assignments" / "source" / "optimizers" / "optimizers.ipynb"
CLASS = {"rprop": "Rprop", "quickprop": "Quickprop", "nesterov": "Nesterov"}


def notebook_solutions():
    """Independently of the variants' module: each solution cell, read by nbformat, markers cut."""
    out = {}
    for cell in nbformat.read(SOURCE, as_version=4).cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("_solution"):
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, gid
            out[gid[: -len("_solution")]] = re.sub(r"(?m)^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", cell.source)
    return out


def test_the_correct_sources_are_the_notebooks_solution_cells():
    solutions = notebook_solutions()
    assert set(solutions) == set(variants.CORRECT) == set(CLASS)
    for part, source in solutions.items():
        assert variants.CORRECT[part].strip() == source.strip(), part


@pytest.mark.parametrize("name", sorted(variants.WRONG))
def test_each_wrong_variant_is_its_parts_class_and_differs_from_the_solution(name):
    part, source, lost = variants.WRONG[name]
    assert lost and source.strip() != variants.CORRECT[part].strip()
    namespace = {}
    exec(compile("import numpy as np\n" + source, name, "exec"), namespace)  # it is valid Python
    assert isinstance(namespace[CLASS[part]], type)


@pytest.mark.parametrize("name", sorted(variants.CHANGES))
def test_each_wrong_variant_changes_the_solution_where_it_claims_and_nowhere_else(name):
    """The variant is the solution with each claimed piece's text replaced, by plain str.replace
    on the notebook's text (not by the templates that built it)."""
    part, changes, _ = variants.CHANGES[name]
    pieces = {"rprop": variants.module.RPROP_PIECES, "quickprop": variants.module.QUICKPROP_PIECES,
              "nesterov": variants.module.NESTEROV_PIECES}[part]
    expected = notebook_solutions()[part]
    for piece, new in changes.items():
        old = pieces[piece.upper()]
        assert new != old and expected.count(old) == 1, (piece, old)
        expected = expected.replace(old, new)
    assert variants.WRONG[name][1].strip() == expected.strip()


def test_a_solution_that_drifted_from_the_variants_is_a_clear_error():
    drifted = variants.CORRECT["quickprop"].replace('state["g_prev"] - g', '-(g - state["g_prev"])')
    with pytest.raises(ValueError, match="CHANGE.*occurs 0 times"):
        variants.module.template(drifted, variants.module.QUICKPROP_PIECES)
