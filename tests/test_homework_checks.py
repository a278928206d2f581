"""The homework's hidden checks pass the reference solution and fail each plausible wrong
solution on exactly the behaviours it gets wrong, with a message that names them."""
import numpy as np
import pytest

from lectures_lib.grading import checks
from homework.variants import CORRECT, WRONG

CLASS = {"rprop": "Rprop", "quickprop": "Quickprop", "nesterov": "Nesterov"}


def load(part, source):
    namespace = {"np": np}
    exec(compile(source, f"<{part} submission>", "exec"), namespace)
    return namespace[CLASS[part]]


def failing(part, cls):
    out = {}
    for behaviour in checks.BEHAVIOURS[part]:
        try:
            checks.check(part, behaviour, cls)
        except checks.GradingError as exc:
            out[behaviour] = str(exc)
    return out


@pytest.mark.parametrize("part", sorted(CORRECT))
def test_the_reference_solution_passes_every_behaviour(part):
    assert failing(part, load(part, CORRECT[part])) == {}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_solution_loses_exactly_its_behaviours(name):
    part, source, lost = WRONG[name]
    failed = failing(part, load(part, source))
    assert set(failed) == lost, f"{name}: failed {sorted(failed)}, expected {sorted(lost)}"
    for behaviour, message in failed.items():
        assert "step" in message and "yours" in message, message  # where, and both values


def test_a_stub_fails_everything():
    class Rprop:
        def __init__(self, **kwargs):
            pass

        def init(self, w):
            raise NotImplementedError("write this part")

    assert set(failing("rprop", Rprop)) == set(checks.BEHAVIOURS["rprop"])


def test_wrapping_the_reference_is_refused():
    from lectures_lib import optim  # noqa: F401

    class Nesterov:
        def __init__(self, lr, beta=0.9):
            from lectures_lib.optim import Nesterov as Ref
            self.ref = Ref(lr, beta)

    with pytest.raises(checks.GradingError, match="course library"):
        checks.check("nesterov", "update", Nesterov)


def test_messages_name_the_step_the_weight_and_both_values():
    part, source, _ = WRONG["rprop_swapped_etas"]
    message = failing(part, load(part, source))["growth"]
    assert "step 2" in message and "weight" in message and "kept its sign" in message
    assert "yours is" in message


def test_redefining_numpy_after_import_does_not_change_a_result(monkeypatch):
    part, source, _ = WRONG["nesterov_lr_twice"]
    cls = load(part, source)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    with pytest.raises(checks.GradingError):
        checks.check("nesterov", "update", cls)
