"""lectures_lib.measured: finding and reading the benchmarks' results, and the HTML it builds."""
import json

import pytest

from lectures_lib import measured


def test_results_dir_is_found_above_the_start_and_named_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_RESULTS", raising=False)
    results = tmp_path / "bench" / "results"
    results.mkdir(parents=True)
    (results / "rates.json").write_text(json.dumps({"x": 1}))
    (tmp_path / "book").mkdir()
    assert measured.results_dir(tmp_path / "book") == results
    assert measured.load(["rates"], tmp_path / "book") == {"rates": {"x": 1}}
    with pytest.raises(ValueError, match="unknown benchmarks \\['speed'\\]"):
        measured.load(["speed"], tmp_path / "book")
    monkeypatch.setenv("BENCH_RESULTS", str(tmp_path / "elsewhere"))
    assert measured.results_dir(tmp_path / "book") == tmp_path / "elsewhere"


def test_results_dir_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_RESULTS", raising=False)
    with pytest.raises(FileNotFoundError, match="make bench"):
        measured.results_dir(tmp_path)


def test_table_and_note_escape_their_text():
    t = measured.table(["a", "b<c"], [[1, "x & y"]], "cap")
    assert t.startswith('<table class="table ll-bench"><caption>cap</caption>')
    assert "<th>b&lt;c</th>" in t and "<td>1</td><td>x &amp; y</td>" in t
    n = measured.note("Measured", ["one < two"])
    assert '<p class="admonition-title">Measured</p>' in n and "<li>one &lt; two</li>" in n
    assert measured.num(None) == "∞" and measured.num(2.5, "{:.1f}") == "2.5"
