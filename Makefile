# Course repository: build the book and run the tests.
#   make book   -> _build/html/index.html (strict: any Sphinx warning or notebook error fails)
#   make test   -> the set-up (scripts/setup: Debian packages; .venv), lint, then pytest over the
#                  library, the book and the homework. It fails when a system package the tests
#                  need is missing (they would skip) unless ALLOW_SKIPS=1.
#   make lock   -> requirements.txt, the lock, from requirements.in: the dependencies declared in
#                  pyproject.toml and grader/pyproject.toml
#                  (pins kept; UPGRADE=1 moves every pin to the newest release that fits)
# The first run creates .venv from requirements.txt; it is refreshed when
# requirements.txt or pyproject.toml is newer than .venv/.stamp.  The
# editable install is also redone when lectures_lib/__init__.py is newer:
# setuptools records lectures_lib as a namespace package (no __file__) if it
# is installed before that file exists.  pip byte-compiles what it installs
# on one core (about 75 s of CPU for this lock): --no-compile, and compileall
# spreads that work over every core instead.  The .pyc files are still
# made up front: the grading sandbox's throwaway uid cannot write them.
# compileall's status is ignored, as pip ignores it: a few packages ship
# files that are not Python 3 (test data).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
STAMP  := $(VENV)/.stamp
PY     := $(VENV)/bin/python
# pytest-xdist workers for `make test`: one more than CI's 2 cores, as the browser and grading
# sandbox tests spend much of their time waiting (measured on 2 cores, clean build: pytest 826 s
# with 3 workers, 1010 s with 2 under more load from other work).
JOBS   ?= 3
TESTS  ?= tests
ALLOW_SKIPS ?=
PIP_TOOLS := pip-tools==7.6.2

.PHONY: venv system test lint lock install-cells book grade clean bench bench-rates bench-encoders bench-throughput bench-book bench-grade

venv: $(STAMP)

$(STAMP): requirements.txt requirements.in pyproject.toml grader/pyproject.toml $(wildcard lectures_lib/__init__.py)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --no-compile -r requirements.txt
	-$(PY) -m compileall -q -j 0 $(VENV)/lib >/dev/null
	$(PY) -m pip install -q --no-deps -e . -e ./grader
	touch $(STAMP)

# Debian packages the tests need (scripts/system-packages), installed when missing and possible;
# one line per package still missing.
system:
	@scripts/setup install

lint: venv
	$(VENV)/bin/ruff check .

# The tests run even when a system package is missing; the run then names it again and fails
# (unless ALLOW_SKIPS=1), so that a green `make test` is the product CI tests.
test: system venv lint
	@rc=0; $(PY) -m pytest -n $(JOBS) --dist loadgroup $(TESTS) || rc=$$?; \
	if ! scripts/setup check; then \
	    if [ "$(ALLOW_SKIPS)" = 1 ]; then echo "make test: ALLOW_SKIPS=1: the tests that need the above skipped" >&2; \
	    else echo "make test: failed: the tests that need the above skipped (make test ALLOW_SKIPS=1 accepts that)" >&2; \
	         [ $$rc -ne 0 ] || rc=1; fi; \
	fi; exit $$rc

# The lock: every package the two projects need (requirements.in), pinned, by pip-tools; the two
# projects themselves are installed editable by `make venv`. torch's CPU build resolves as
# 2.13.0+cpu here; its local label is dropped so that the same line also installs from PyPI.
lock: venv
	@$(PY) -m piptools --version >/dev/null 2>&1 || $(PY) -m pip install -q $(PIP_TOOLS)
	CUSTOM_COMPILE_COMMAND="make lock" $(PY) -m piptools compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
	    $(if $(UPGRADE),--upgrade) $(addprefix --unsafe-package ,setuptools pip) -o requirements.txt requirements.in
	awk '/^-e /{skip=1; next} skip && /^    #/{next} {skip=0; sub(/\+cpu$$/, ""); print}' requirements.txt > requirements.tmp
	mv requirements.tmp requirements.txt

# The repository's address is written once, in _config.yml; this writes it into every chapter's
# install cell (the cell Colab runs to install the library).
install-cells: venv
	$(PY) book/_ext/lectures_book.py

# -W: warnings are errors; -n: nitpicky (every unresolved reference warns);
# --keep-going: report all warnings, then fail.  Notebook errors fail via
# execute.raise_on_error in _config.yml.  Output: ./_build/html.  book/_ext/build.py is
# `jupyter-book build` with the chapters executed in parallel (BOOK_JOBS, default every core).
book: venv
	@command -v npm >/dev/null || test -e .cache/vendor/mathjax/tex-chtml-full.js || \
	    { echo "make book: needs npm to fetch MathJax from the npm registry once: apt-get install npm" >&2; exit 1; }
	$(PY) book/_ext/build.py build . --path-output . -W -n --keep-going

# Autograde every submission under assignments/submitted/ (see README, "For instructors").
grade: venv
	$(VENV)/bin/autograde assignments

# Benchmarks (see bench/): each writes bench/results/<name>.json and <name>.png and prints the
# ratios it measured; none fails on a timing. `make bench` runs the four one after another (so
# they do not disturb each other's timings). torch, for the torch.optim comparison, is in the
# lock (pyproject's "bench" extra).
bench: venv
	$(PY) bench/rates.py
	$(PY) bench/encoders.py
	$(PY) bench/throughput.py
	$(PY) bench/book.py

bench-rates: venv
	$(PY) bench/rates.py

bench-encoders: venv
	$(PY) bench/encoders.py

bench-throughput: venv
	$(PY) bench/throughput.py

bench-book: venv
	$(PY) bench/book.py

# Grading throughput: 200 generated submissions, sandboxed --jobs 1 and 2 against plain nbgrader.
bench-grade: venv
	$(PY) bench/grade.py

# The build, the execution cache and the vendored front-end files (MathJax); not .venv.
clean:
	rm -rf _build .jupyter_cache jupyter_execute .cache/vendor .cache/test-vendor
