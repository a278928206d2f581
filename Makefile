# Course repository: build the book and run the tests.
#   make book   -> _build/html/index.html (strict: any Sphinx warning or notebook error fails)
#   make test   -> pytest over the library, the book and the homework
# The first run creates .venv from requirements.txt; it is refreshed when
# requirements.txt or pyproject.toml is newer than .venv/.stamp.  The
# editable install is also redone when lectures_lib/__init__.py is newer:
# setuptools records lectures_lib as a namespace package (no __file__) if it
# is installed before that file exists.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
STAMP  := $(VENV)/.stamp
PY     := $(VENV)/bin/python
JOBS   ?= 2

.PHONY: venv test book grade clean bench bench-deps bench-rates bench-encoders bench-throughput bench-book bench-grade

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml $(wildcard lectures_lib/__init__.py)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install -e . --no-deps
	touch $(STAMP)

test: venv
	$(PY) -m pytest -n $(JOBS) --dist loadgroup tests

# -W: warnings are errors; -n: nitpicky (every unresolved reference warns);
# --keep-going: report all warnings, then fail.  Notebook errors fail via
# execute.raise_on_error in _config.yml.  Output: ./_build/html.
book: venv
	$(VENV)/bin/jupyter-book build . --path-output . -W -n --keep-going

# Autograde every submission under assignments/submitted/ (see README, "For instructors").
grade: venv
	$(VENV)/bin/lectures-lib grade assignments

# Benchmarks (see bench/): each writes bench/results/<name>.json and <name>.png and prints the
# ratios it measured; none fails on a timing. `make bench` runs the four one after another (so
# they do not disturb each other's timings). torch, for the torch.optim comparison, is
# installed into .venv from bench/requirements.txt when it is missing.
bench: bench-deps
	$(PY) bench/rates.py
	$(PY) bench/encoders.py
	$(PY) bench/throughput.py
	$(PY) bench/book.py

bench-deps: venv
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -r bench/requirements.txt

bench-rates: bench-deps
	$(PY) bench/rates.py

bench-encoders: bench-deps
	$(PY) bench/encoders.py

bench-throughput: bench-deps
	$(PY) bench/throughput.py

bench-book: bench-deps
	$(PY) bench/book.py

# Grading throughput: 200 generated submissions, sandboxed --jobs 1 and 2 against plain nbgrader.
bench-grade: venv
	$(PY) bench/grade.py

clean:
	rm -rf _build
