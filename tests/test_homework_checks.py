"""The homework's hidden checks, in process: each behaviour is earned only where its rule was
exercised and held every time; placeholders earn nothing; combined mistakes each lose their own
behaviours; ports of public implementations are named; unusual correct styles earn everything;
every rule is exercised often enough to mean something."""
import json
from pathlib import Path

import numpy as np
import pytest

from homework.submissions import ALL, CASES
from homework.variants import CORRECT, WRONG
from autograder import check, judge, parts, rules
from autograder.collect import Collector
from lectures_lib.testing import GradingError, expect

ASSIGNMENT = Path(__file__).resolve().parents[1] / "assignments" / "source" / "optimizers"
MATERIAL = parts.load(ASSIGNMENT)

CLASS = {"rprop": "Rprop", "quickprop": "Quickprop", "nesterov": "Nesterov"}


def load(part, source):
    namespace = {"np": np}
    exec(compile(source, f"<{part} submission>", "exec"), namespace)
    return namespace[CLASS[part]]


def counts(part, cls):
    collector = Collector(cls, MATERIAL.problems(part))
    return judge.judge(MATERIAL, part, lambda request: json.loads(json.dumps(collector(request))))


def lost(part, source):
    return {b for b, c in counts(part, load(part, source)).items() if not c.earned}


@pytest.mark.parametrize("part", sorted(CORRECT))
def test_the_reference_solution_earns_every_behaviour(part):
    assert lost(part, CORRECT[part]) == set()


@pytest.mark.parametrize("part", sorted(CORRECT))
def test_every_behaviour_and_every_rule_is_exercised_at_least_twenty_times(part):
    for behaviour, c in counts(part, load(part, CORRECT[part])).items():
        assert c.checked >= 20, (behaviour, c.checked)
        for rule, n in c.rules.items():
            if rule not in (behaviour, "init"):  # named sub-rules: every branch on its own
                assert n >= 20, (behaviour, rule, n)
    expected = {"clamps": {"Δmax", "Δmin"}, "growth_limit": {"capped above", "capped below"},
                "fallback": {"first step", "previous step 0", "slope unchanged", "k counts steps"}}
    for behaviour, c in counts(part, load(part, CORRECT[part])).items():
        assert expected.get(behaviour, set()) <= set(c.rules), (behaviour, c.rules)


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_single_mistake_loses_exactly_the_rules_it_breaks(name):
    part, source, behaviours = WRONG[name]
    assert lost(part, source) == behaviours
    for behaviour, c in counts(part, load(part, source)).items():
        if behaviour in behaviours:  # where, and both values
            assert "step" in c.first and "your" in c.first, c.first


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_submission_loses_exactly_its_behaviours_and_is_told_why(name):
    part, source, behaviours, phrase = CASES[name]
    result = counts(part, load(part, source))
    assert {b for b, c in result.items() if not c.earned} == behaviours
    if phrase:
        messages = " ".join(judge.message(MATERIAL.parts[part], b, result[b]) for b in behaviours)
        assert phrase in messages, messages


@pytest.mark.parametrize("part", sorted(ALL))
def test_a_step_that_does_nothing_is_never_checked_not_passed(part):
    name = f"{part}_gradient_then_inputs"
    result = counts(part, load(part, CASES[name][1]))
    assert not any(c.earned for c in result.values())
    if part == "nesterov":  # the gradient is at the right place, but nothing was done with it
        c = result["look_ahead"]
        assert c.failed == 0 and c.checked == 0
        assert judge.message(MATERIAL.parts[part], "look_ahead", c).startswith("never checked: your step never changed W or ΔW")


def test_messages_state_the_rule_that_applied_in_its_own_numbers():
    result = counts("quickprop", load("quickprop", CASES["quickprop_caps_only_above"][1]))
    message = result["growth_limit"].first
    assert "is below -1" in message and "so the step is μ·Δw' = 1.75 ×" in message and "(the uncapped secant step)" in message
    torch = counts("rprop", load("rprop", CASES["torch_rprop"][1]))["backtracking"].first
    assert "iRprop⁻, what torch.optim.Rprop does" in torch and "goes back" in torch
    sgd = counts("nesterov", load("nesterov", CASES["torch_sgd_nesterov"][1]))
    assert "Sutskever form of torch's and Keras's SGD(nesterov=True)" in sgd["look_ahead"].first
    assert "this homework's step returns W + ΔW" in sgd["returns_w"].first
    twice = CORRECT["nesterov"].replace("dw = self.beta", "objective.grad(w)\n        dw = self.beta")
    assert "evaluated the gradient twice" in counts("nesterov", load("nesterov", twice))["look_ahead"].first
    never = counts("nesterov", load("nesterov", CASES["nesterov_returns_inputs"][1]))["look_ahead"].first
    assert "your step never evaluated the gradient" in never


def test_tolerances_are_relative_to_the_quantity_checked():
    # a move of 1e-6 off by 1 % at |w| = 5 is wrong; rounding of w + dw at |w| = 5 is not
    assert not rules.close(5.0 + 1.01e-6 - 5.0, 1e-6, 1e-6, 5.0)
    assert rules.close((5.0 + 1e-6) - 5.0, 1e-6, 1e-6, 5.0)
    assert not rules.close(np.nan, 1.0, 1.0)


def test_a_stub_fails_everything():
    class Rprop:
        def __init__(self, **kwargs):
            pass

        def init(self, w):
            raise NotImplementedError("write this part")

        def step(self, objective, w, state):
            raise NotImplementedError("write this part")

    result = counts("rprop", Rprop)
    assert not any(c.earned for c in result.values())
    assert all("NotImplementedError: write this part" in c.first for c in result.values())


def test_wrapping_the_reference_is_refused(monkeypatch):
    monkeypatch.chdir(ASSIGNMENT)  # check() finds the part next to the notebook
    class Nesterov:
        def __init__(self, lr, beta=0.9):
            from lectures_lib.optim import Nesterov as Ref
            self.ref = Ref(lr, beta)

    with pytest.raises(GradingError, match="course library"):
        check("nesterov", "update", Nesterov)


def test_check_raises_with_the_message_for_each_lost_behaviour(monkeypatch):
    monkeypatch.chdir(ASSIGNMENT)  # check() finds the part next to the notebook
    part, source, behaviours = WRONG["rprop_swapped_etas"]
    cls = load(part, source)
    with pytest.raises(GradingError, match="kept its sign"):
        check(part, "growth", cls)
    check(part, "backtracking", cls)  # earned: no exception


def test_redefining_numpy_after_import_does_not_change_a_result(monkeypatch):
    monkeypatch.chdir(ASSIGNMENT)  # check() finds the part next to the notebook
    part, source, _ = WRONG["nesterov_lr_twice"]
    cls = load(part, source)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    with pytest.raises(GradingError):
        check("nesterov", "returns_w", cls)


def test_visible_test_messages_show_both_shapes_when_they_differ():
    with pytest.raises(GradingError, match=r"expected shape \(1,\) \[1.5\], got shape \(\) 1.5"):
        expect("w", 1.5, [1.5])
    with pytest.raises(GradingError, match=r"expected \[1.5\], got \[1.6\]"):
        expect("w", [1.6], [1.5])
    expect("w", [1.5], [1.5])


def test_mangled_replies_are_a_reason_not_a_crash():
    junk = iter([5, {"state": "x"}, {"w": [[1, 2]], "state": {}}, {"raised": 7}, None, {"w": "abc"}] * 10000)
    result = judge.judge(MATERIAL, "rprop", lambda request: next(junk))
    assert not any(c.earned for c in result.values()) and all(c.first for c in result.values())


@pytest.mark.parametrize("part", sorted(CORRECT))
def test_one_round_trip_per_step_and_no_input_before_its_answer(part):
    """The judge batches step k of every scenario into one request: a part costs one round trip
    per step of its longest scenario (plus the inits), and no scenario is sent step k+1 before
    its step k was answered."""
    collector, answered, trips = Collector(load(part, CORRECT[part]), MATERIAL.problems(part)), {}, []

    def call(request):
        assert request["op"] == "batch"
        trips.append(len(request["requests"]))
        for r in request["requests"]:
            if r["op"] == "step":
                sc, w = r["scenario"], r["w"]
                want = judge.trajectories(MATERIAL, part)[sc][2][answered.get(sc, 0)][0]
                assert np.array_equal(w, want), (sc, answered.get(sc, 0))  # the next unanswered step
        reply = json.loads(json.dumps(collector(request)))
        for r in request["requests"]:
            if r["op"] == "step":
                answered[r["scenario"]] = answered.get(r["scenario"], 0) + 1
        return reply

    assert all(c.earned for c in judge.judge(MATERIAL, part, call).values())
    steps = [len(s) for _, _, s in judge.trajectories(MATERIAL, part)]
    assert len(trips) == 1 + max(steps) and sum(trips) == len(steps) + sum(steps)
    assert answered == dict(enumerate(steps))


@pytest.mark.parametrize("part", sorted(CORRECT))
def test_no_scenario_input_is_another_scenarios_later_input(part):
    """What makes a round's batch safe (``judge.rounds``): an input w sent at step k is never
    another scenario's input at a different step, which would be the answer to one of its steps."""
    seen = {}
    for i, (_, _, steps) in enumerate(judge.trajectories(MATERIAL, part)):
        for k, (w, _, _) in enumerate(steps):
            seen.setdefault(w.tobytes(), set()).add((i, k))
    shared = [at for at in seen.values() if len({i for i, _ in at}) > 1]
    assert all(len({k for _, k in at}) == 1 for at in shared), shared


def test_a_step_that_raises_systemexit_spoils_only_its_own_reply():
    class Exits:
        def __init__(self, **kwargs):
            pass

        def init(self, w):
            return {"delta": np.ones_like(w), "g_prev": np.zeros_like(w), "dw": np.zeros_like(w)}

        def step(self, objective, w, state):
            if w.size == 1:
                raise SystemExit(3)
            return w, state

    problems = MATERIAL.problems("rprop")
    collector = Collector(Exits, problems)
    requests = [{"op": "init", "scenario": i} for i in range(len(problems))]
    collector({"op": "batch", "requests": requests})
    w0 = [p.w0.tolist() for p in problems]
    state = [collector({"op": "init", "scenario": i})["state"] for i in range(len(problems))]
    got = collector({"op": "batch", "requests": [{"op": "step", "scenario": i, "w": w0[i], "state": state[i]}
                                                 for i in range(len(problems))]})["replies"]
    sizes = [len(w) for w in w0]
    assert 1 in sizes and any(s > 1 for s in sizes)
    for size, reply in zip(sizes, got):
        assert ("raised" in reply) == (size == 1), reply
        if size == 1:
            assert reply["raised"] == "your step raised SystemExit: 3"
