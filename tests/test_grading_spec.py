"""What a grade cell checks is read from its metadata or by a strict parser; a cell that can be
read neither way stops the run with its name; no call form is silently ungraded."""
import nbformat
import pytest

from autograder.spec import Spec, SpecError, read_checks


def cell(source, **autograder):
    meta = {"nbgrader": {"grade": True, "grade_id": "t", "points": 1}}
    if autograder:
        meta["autograder"] = autograder
    return nbformat.v4.new_code_cell(source, metadata=meta)


@pytest.mark.parametrize("source, checks", [
    ('check("rprop", "growth", Rprop)', (("rprop", "growth", "Rprop"),)),
    ("check('rprop', 'growth', Rprop)", (("rprop", "growth", "Rprop"),)),
    ('checks.check(part="rprop", behaviour="growth", cls=Rprop)', (("rprop", "growth", "Rprop"),)),
    ('import autograder\nautograder.check("rprop", behaviour="growth", cls=Rprop)', (("rprop", "growth", "Rprop"),)),
    ('# Hidden test\n### BEGIN HIDDEN TESTS\nfrom autograder import check\n\ncheck("rprop", "growth", Rprop)\n'
     'check("rprop", "shrink", Rprop)\n### END HIDDEN TESTS', (("rprop", "growth", "Rprop"), ("rprop", "shrink", "Rprop"))),
    ("assert add(1, 2) == 3", ()),  # a plain nbgrader test
    ("assert check_grad(f, x) < 1e-6", ()),  # another function's name is not a check
])
def test_every_call_form_is_read(source, checks):
    assert read_checks(cell(source), "here") == checks


@pytest.mark.parametrize("source, why", [
    ('check("rprop", "growth", Rprop)\nassert True', "line 2 is not a check"),
    ('for b in ["growth"]:\n    check("rprop", b, Rprop)', "line 1 is not a check"),
    ('check("rprop", "growth")', "exactly part, behaviour and a class"),
    ('check("rprop", name, Rprop)', "must be strings"),
    ('check("rprop", "growth", Rprop, extra=1)', "unexpected argument"),
    ('check("rprop", "growth", Rprop', "does not parse"),
])
def test_a_cell_that_cannot_be_read_is_an_error_that_names_it(source, why):
    with pytest.raises(SpecError, match=why) as info:
        read_checks(cell(source), "optimizers.ipynb: grade cell 'rprop_growth'")
    assert "grade cell 'rprop_growth'" in str(info.value)


def test_metadata_says_what_a_cell_checks_whatever_its_code():
    c = cell("run_my_checks()", checks=[["rprop", "growth", "Rprop"], ["rprop", "shrink", "Rprop"]])
    assert read_checks(c, "here") == (("rprop", "growth", "Rprop"), ("rprop", "shrink", "Rprop"))
    with pytest.raises(SpecError, match="metadata autograder.checks"):
        read_checks(cell("x", checks=[["rprop", "growth"]]), "here")


def test_the_homeworks_source_reads_as_32_points_of_checks(tmp_path):
    from pathlib import Path

    spec = Spec.read(Path(__file__).resolve().parents[1] / "assignments" / "source" / "optimizers" / "optimizers.ipynb")
    assert sum(g.points for g in spec.grades.values()) == 32 and all(not g.plain for g in spec.grades.values())
    assert spec.parts == {"rprop": "Rprop", "quickprop": "Quickprop", "nesterov": "Nesterov"}
