"""The benchmarks in bench/ still run: each in --tiny mode into a temporary directory, checking
that its JSON has the expected fields and sane values. Nothing here looks at a timing."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_bench(name, out):
    run = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}.py"), "--tiny", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)  # a hang guard, not a timing
    assert run.returncode == 0, f"bench/{name}.py --tiny failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert (out / f"{name}.png").stat().st_size > 1000
    data = json.loads((out / f"{name}.json").read_text())
    assert data["benchmark"] == name and data["tiny"] is True
    assert {"date", "cpu", "cpus", "numpy"} <= set(data["machine"])
    return data


def test_rates(tmp_path):
    data = run_bench("rates", tmp_path)
    rows = data["rows"]
    assert {r["method"] for r in rows} == {"gradient descent", "heavy ball (Polyak)", "Nesterov",
                                           "heavy ball at Nesterov's η, β"}
    for r in rows:
        assert r["iterations"] is not None and r["iterations"] > 0
        assert 0 < r["theory_rate"] < 1 and 0 < r["measured_rate"] < 1
        # the measured asymptotic rate is the spectral radius, up to the transient of a short run
        assert abs(r["measured_rate"] - r["theory_rate"]) < 0.05
        if r["formula_rate"] is not None:
            assert r["theory_rate"] == pytest.approx(r["formula_rate"], rel=1e-6)
    for kappa in data["setup"]["kappas"]:
        it = {r["method"]: r["iterations"] for r in rows if r["kappa"] == kappa}
        assert it["heavy ball (Polyak)"] < it["gradient descent"]
        assert set(data["curves"][str(kappa)]) == set(it)
    assert set(data["ratios"]) == {str(k) for k in data["setup"]["kappas"]}


def test_encoders(tmp_path):
    data = run_bench("encoders", tmp_path)
    setup = data["setup"]
    assert len(data["results"]) == 4
    for rows in data["results"].values():
        assert list(rows) == ["gradient descent", "momentum", "Nesterov", "Rprop", "Quickprop"]
        for method, r in rows.items():
            assert len(r["epochs"]) == r["runs"] == setup["runs"]
            assert r["failures"] == sum(e is None for e in r["epochs"])
            assert all(e is None or 1 <= e <= setup["max_epochs"] for e in r["epochs"])
            assert (r["lr"] in setup["lr_grid"]) if method != "Rprop" else r["lr"] is None
            if r["median"] is not None:
                assert r["q1"] <= r["median"] and (r["q3"] is None or r["median"] <= r["q3"])


def test_throughput(tmp_path):
    data = run_bench("throughput", tmp_path)
    assert data["copyto_ms"] > 0 and data["fresh_copy_ms"] > 0 and data["add_ms"] > 0
    rows = {r["optimizer"]: r for r in data["rows"]}
    assert len(rows) == 7 and "Quickprop" in rows and "gradient descent, numpy only" in rows
    for r in rows.values():
        assert r["ms"] > 0 and r["pure_ms"] > 0 and r["floor_ms"] > 0 and r["stream_floor_ms"] > 0  # tiny: no ordering
        assert r["pure_and_inplace_agree"] is True, r["optimizer"]  # step_ (both paths) and step ended at the same w
        assert r["reads"] >= 2 and r["writes"] >= 1
        if data["setup"]["torch"] and r["torch"]:
            assert r["torch_1thread_ms"] > 0 and r["torch_default_ms"] > 0
            assert r["torch_1thread_foreach"] in (False, True) and r["torch_default_foreach"] in (False, True)
        has_kernel = data["numba"] and r["optimizer"] not in ("gradient descent, numpy only", "Quickprop")
        assert (r["compiled_ms"] is not None and r["compiled_ms"] > 0) == has_kernel, r["optimizer"]
        assert (r["first_compiled_step_s"] is not None) == has_kernel


def test_book(tmp_path):  # beside tests/test_book.py's build too: its own output folder, vendoring under a lock
    data = run_bench("book", tmp_path)
    assert data["ok"] is True and data["pages"] == ["book/intro"]
    assert data["clean_seconds"] > 0 and data["rebuild_seconds"] > 0


@pytest.mark.sandbox
@pytest.mark.xdist_group("homework")
def test_grade(tmp_path):
    data = run_bench("grade", tmp_path)
    assert data["submissions"] == 4 and data["exit_codes"] == {"jobs_1": 0, "jobs_2": 0, "jobs_2_feedback": 0}
    assert set(data["submissions_per_minute"]) == {"jobs_1", "jobs_2", "jobs_2_feedback", "plain_nbgrader"}
    assert all(v > 0 and math.isfinite(v) for v in data["submissions_per_minute"].values())


def test_explore(tmp_path):
    data = run_bench("explore", tmp_path)
    (figure,) = data["figures"]  # --tiny: chapter 9's one figure with controls, its start and 3 moves
    assert figure["chapter"].startswith("09") and figure["frames"] == 4
    assert figure["copied"] + figure["rendered"] == 4  # the start and each move: copied or rendered itself
    for k in ("kept_figure", "anew", "draw", "session", "session_in_kernel", "session_fast"):
        assert len(figure[f"{k}_ms"]) == 3 and all(t >= 0 and math.isfinite(t) for t in figure[f"{k}_ms"])
    assert len(figure["kept_frame_ms"]) == 3 * 4
    assert all(data[k] > 0 and math.isfinite(data[k]) for k in
               ("kept_figure_median_ms", "anew_median_ms", "kept_frame_median_ms", "anew_over_kept_figure"))
    assert 0 <= data["kept_figure_under_200ms"] <= 1 and 0 <= data["session_under_200ms"] <= 1


def test_jupyterlab(tmp_path):
    """Every move a reader makes in JupyterLab shows its new frame, in both modes (the kernel
    filling its frames itself too: the path where no process can fork)."""
    data = run_bench("jupyterlab", tmp_path)
    assert len(data["chapters"]) == 1
    for mode in ("ahead", "in_kernel"):
        (figure, *_) = data["moves"][mode]
        assert len(figure["ms"]) == 2 and all(t is not None and t > 0 for t in figure["ms"]), (mode, figure)
        assert data[f"{mode}_never_shown"] == 0 and 0 <= data[f"{mode}_under_200ms"] <= 1
