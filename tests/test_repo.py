"""Tests of the repository infrastructure (requirements, book config, README)."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")


def _requirements():
    lines = (ROOT / "requirements.txt").read_text(encoding="utf8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def test_every_requirement_is_pinned():
    reqs = _requirements()
    assert reqs, "requirements.txt is empty"
    bad = [ln for ln in reqs if not PIN.match(ln)]
    assert not bad, f"lines that are not name==version: {bad}"


def test_requirements_pin_jupyter_book_1_and_core_packages():
    pins = {PIN.match(ln).group(1).lower().replace("_", "-"): PIN.match(ln).group(2)
            for ln in _requirements()}
    major = int(pins["jupyter-book"].split(".")[0])
    assert major < 2, f"jupyter-book must stay below 2, got {pins['jupyter-book']}"
    for name in ["numpy", "scipy", "matplotlib", "ipywidgets", "nbgrader",
                 "pytest", "pytest-xdist", "playwright"]:
        assert name in pins, f"{name} is not pinned in requirements.txt"


@pytest.fixture(scope="module")
def book_config():
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))


def test_config_makes_notebook_errors_fail_the_build(book_config):
    assert book_config["execute"]["raise_on_error"] is True
    assert book_config["execute"].get("allow_errors", False) is False
    assert book_config["only_build_toc_files"] is True
    assert ".venv" in book_config["exclude_patterns"]


def test_config_is_valid_for_jupyter_book(book_config):
    # Schema problems are only printed by `jupyter-book build`, never fail it.
    from jupyter_book.config import validate_yaml

    validate_yaml(book_config, raise_on_errors=True)


def test_toc_root_and_files_exist():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))

    def files(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("root", "file"):
                    yield value
                else:
                    yield from files(value)
        elif isinstance(node, list):
            for item in node:
                yield from files(item)

    listed = list(files(toc))
    assert toc["root"] in listed
    missing = [f for f in listed
               if not any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb"))
               and not (ROOT / f).exists()]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_readme_opens_with_make_book_and_make_test():
    text = (ROOT / "README.md").read_text(encoding="utf8")
    assert text.startswith("```"), "README.md must open with a code block"
    block = re.match(r"```[^\n]*\n(.*?)\n```", text, re.S)
    assert block, "README.md's first code block is not closed"
    commands = block.group(1).splitlines()
    assert "make book" in commands and "make test" in commands


def _pyproject(path="pyproject.toml"):
    import tomllib

    return tomllib.loads((ROOT / path).read_text(encoding="utf8"))


def _declared():
    """Every requirement declared in pyproject.toml and grader/pyproject.toml, the two projects left out."""
    from packaging.requirements import Requirement

    reqs, names = [], set()
    for path in ("pyproject.toml", "grader/pyproject.toml"):
        project = _pyproject(path)["project"]
        names.add(project["name"])
        reqs += [Requirement(r) for r in project["dependencies"]]
        reqs += [Requirement(r) for extra in project.get("optional-dependencies", {}).values() for r in extra]
    return [r for r in reqs if r.name not in names]


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_lock_pins_every_declared_dependency_at_a_version_it_allows():
    pins = {_canonical(PIN.match(ln).group(1)): PIN.match(ln).group(2) for ln in _requirements()}
    declared = _declared()
    assert {"numpy", "jupyter-book", "nbgrader", "psycopg", "pytest", "torch", "ruff"} <= {_canonical(r.name) for r in declared}
    for req in declared:
        assert _canonical(req.name) in pins, f"{req.name} is declared in pyproject.toml but not in the lock: run `make lock`"
        assert req.specifier.contains(pins[_canonical(req.name)], prereleases=True), \
            f"the lock pins {req.name}=={pins[_canonical(req.name)]}, outside {req}: run `make lock`"


def test_torch_is_pinned_in_one_place():
    declared = [str(r.specifier) for r in _declared() if r.name == "torch"]
    assert declared == ["==2.13.0"], declared  # the CPU wheel that CI's machines hold on disk
    import subprocess

    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    others = [f for f in files if f not in ("pyproject.toml", "requirements.txt") and (ROOT / f).is_file()
              and re.search(r"torch==[0-9]", (ROOT / f).read_text(encoding="utf8", errors="replace"))]
    assert others == [], f"torch is pinned again in {others}"


def test_binder_installs_the_library_at_the_versions_of_the_lock():
    lines = [ln for ln in (ROOT / "binder" / "requirements.txt").read_text(encoding="utf8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert "-c ../requirements.txt" in lines
    extras = re.fullmatch(r"\.\[([a-z,]+)\]", lines[-1])
    assert extras, f"binder installs the library with one of its extras, not {lines[-1]!r}"
    assert set(extras.group(1).split(",")) <= set(_pyproject()["project"]["optional-dependencies"])


def test_binder_runs_a_python_the_library_supports():
    # repo2docker's default Python (3.10) is below requires-python: binder/runtime.txt names one.
    from packaging.specifiers import SpecifierSet

    runtime = (ROOT / "binder" / "runtime.txt").read_text(encoding="utf8").strip()
    version = re.fullmatch(r"python-(3\.[0-9]+)", runtime)
    assert version, f"binder/runtime.txt is {runtime!r}, not python-3.X"
    assert version.group(1) in SpecifierSet(_pyproject()["project"]["requires-python"])


def test_one_version_and_licence_metadata():
    from importlib.metadata import metadata

    import lectures_lib

    project = _pyproject()["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "lectures_lib.__version__"}
    meta = metadata("lectures-lib")
    assert meta["Version"] == lectures_lib.__version__
    assert meta["License-Expression"] == "MIT"
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf8")
    content = (ROOT / "LICENSE-content").read_text(encoding="utf8")
    assert "Creative Commons Attribution 4.0 International Public License" in content
    readme = (ROOT / "README.md").read_text(encoding="utf8")
    assert "LICENSE-content" in readme and "CC BY 4.0" in readme and "MIT" in readme


def _setup(tmp_path, listing, mode="check"):
    import subprocess

    packages = tmp_path / "packages"
    packages.write_text(listing, encoding="utf8")
    return subprocess.run([str(ROOT / "scripts" / "setup"), mode], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "SETUP_PACKAGES": str(packages)})


def test_setup_names_each_missing_system_package_on_a_line_and_fails(tmp_path):
    run = _setup(tmp_path, f"# a comment\npresent  {ROOT / 'LICENSE'}  nothing\n\n"
                           f"absent-one  {tmp_path / 'no-such-file'}  the first tests\n"
                           f"absent-two  {tmp_path / 'nor-this'}  the second tests\n")
    assert run.returncode == 1
    lines = [ln for ln in run.stderr.splitlines() if "Debian package" in ln]
    assert lines == ["setup: MISSING Debian package absent-one: the first tests skip",
                     "setup: MISSING Debian package absent-two: the second tests skip"]


def test_setup_passes_when_every_system_package_is_there(tmp_path):
    import os

    run = _setup(tmp_path, f"present  {ROOT / 'LICENSE'}  nothing\n")
    assert run.returncode == (0 if os.geteuid() == 0 else 1), run.stderr
    assert "Debian package" not in run.stderr


def _lectures_book():
    import importlib.util

    spec = importlib.util.spec_from_file_location("lectures_book", ROOT / "book" / "_ext" / "lectures_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


URL = re.compile(r"""(?:https?|git\+https?)://[^\s"'<>)\\]+""")
PLACEHOLDER = re.compile(r"\bexample\.(?:org|com|net)\b|github\.com/example/", re.IGNORECASE)
# What ships: the book and its configuration, the homework, the library and its metadata.
SHIPPED = ("book/", "assignments/", "binder/", "lectures_lib/", "_config.yml", "_toc.yml",
           "pyproject.toml", "grader/pyproject.toml", "README.md")
PUBLISHED = "https://github.com/elsewhere/course"  # an address for the tests of the published state


def _shipped_files():
    import subprocess

    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    return [f for f in files if f.startswith(SHIPPED) and (ROOT / f).is_file()]


def test_nothing_that_ships_holds_a_placeholder_address():
    files = _shipped_files()
    assert "_config.yml" in files and "book/01_recap.ipynb" in files and "pyproject.toml" in files
    found = {f: PLACEHOLDER.findall((ROOT / f).read_text(encoding="utf8", errors="replace")) for f in files}
    assert {f: hits for f, hits in found.items() if hits} == {}, "placeholder addresses (a reader gets a 404)"


def test_no_notebook_writes_an_address_but_the_install_cell_with_the_one_of_config_yml():
    import json

    book = _lectures_book()
    url = book.repository_url(ROOT)
    notebooks = sorted((ROOT / "book").glob("*.ipynb")) + sorted((ROOT / "assignments").rglob("*.ipynb"))
    assert len(notebooks) >= 11
    for path in notebooks:
        for cell in json.loads(path.read_text(encoding="utf8"))["cells"]:
            found = URL.findall("".join(cell["source"]))
            if book.is_install_cell(cell):
                assert "".join(cell["source"]) == book.install_cell(url), \
                    f"{path.name}'s install cell is not _config.yml's (repository.url {url!r}): run `make install-cells`"
                assert found == ([f"git+{url}"] if url else []), f"{path.name}'s install cell: {found}"
            else:
                assert found == [], f"{path.name} writes addresses itself: {found}"


def test_the_install_cell_without_an_address_says_how_to_install_the_library():
    source = _lectures_book().install_cell("")
    assert URL.findall(source) == [] and "%pip" not in source
    with pytest.raises(ModuleNotFoundError, match=r"lectures_lib.*clone of the course repository.*pip install"):
        exec(source.replace("import lectures_lib", "import lectures_lib_absent"), {})
    exec(source, {})  # with the library there, the cell does nothing


def test_install_cells_are_written_from_config_yml_and_nothing_else_changes(tmp_path):
    import json
    import shutil

    book = _lectures_book()
    (tmp_path / "book").mkdir()
    for path in (ROOT / "book").glob("*.ipynb"):
        shutil.copy(path, tmp_path / "book" / path.name)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf8"))
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf8")
    assert book.sync_install_cells(tmp_path) == [], "an install cell differs from _config.yml's: run `make install-cells`"

    # Published, unpublished, published again: each switch rewrites every chapter's install cell only.
    states = [book.repository_url(ROOT), PUBLISHED, "", PUBLISHED]
    for before, url in zip(states, states[1:]):
        old_cells = {p.name: json.loads(p.read_text(encoding="utf8"))["cells"] for p in (tmp_path / "book").glob("*.ipynb")}
        config["repository"]["url"] = url
        (tmp_path / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf8")
        changed = book.sync_install_cells(tmp_path)
        assert len(changed) == (len(old_cells) if url != before else 0), f"{before!r} -> {url!r}: {changed}"
        for path in changed:
            new = json.loads(path.read_text(encoding="utf8"))["cells"]
            differ = [i for i, (a, b) in enumerate(zip(old_cells[path.name], new, strict=True)) if a != b]
            assert len(differ) == 1 and book.is_install_cell(new[differ[0]])
            assert "".join(new[differ[0]]["source"]) == book.install_cell(url)
            assert URL.findall(book.install_cell(url)) == ([f"git+{url}"] if url else [])
    assert list(tmp_path.rglob("*.partial")) == []


def test_the_package_urls_are_the_repository_of_config_yml():
    url = _lectures_book().repository_url(ROOT)
    urls = _pyproject()["project"].get("urls", {})
    if url:
        assert urls and all(u == url or u.startswith(url + "/") for u in urls.values()), urls
    else:
        assert urls == {}, f"pyproject.toml has [project.urls] {urls} but _config.yml no repository.url"


def _theme_options(config):
    """The theme options Jupyter Book gives Sphinx for ``config`` (a parsed _config.yml)."""
    import copy

    from jupyter_book.config import get_final_config

    sphinx, _ = get_final_config(user_yaml=copy.deepcopy(config), cli_config={"latex_individualpages": False},
                                 sourcedir=ROOT)
    return sphinx["html_theme_options"]


def test_launch_buttons_are_drawn_only_with_a_repository_address(book_config):
    book = _lectures_book()
    options = _theme_options(book_config)
    assert options["repository_url"] == book.repository_url(ROOT)  # never Jupyter Book's default repository
    buttons = book.launch_buttons(options)
    if not options["repository_url"]:
        assert buttons == {}
    # Setting the address is the one edit that brings Binder and Colab back.
    published = {**book_config, "repository": {**book_config["repository"], "url": PUBLISHED}}
    buttons = book.launch_buttons(_theme_options(published))
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["colab_url"] == "https://colab.research.google.com"
    assert not any(PLACEHOLDER.search(str(v)) for v in buttons.values()), buttons


def _pytest_n2_with_the_course_conftest(tmp_path, tests):
    """Run pytest -n 2 --dist loadgroup (as `make test` does) on the test module ``tests``, beside
    tests/conftest.py's hook and fixtures; the workers may write lines to ``tmp_path / "log.txt"``
    (``LOG``); its lines."""
    import os
    import subprocess
    import sys

    (tmp_path / "conftest.py").write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('course_conftest', {str(ROOT / 'tests' / 'conftest.py')!r})\n"
        "course = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(course)\n"
        "pytest_collection_modifyitems = course.pytest_collection_modifyitems\n"
        "once_per_run = course.once_per_run\n")
    (tmp_path / "test_it.py").write_text(tests)
    log = tmp_path / "log.txt"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
                          "-p", "no:cacheprovider", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "LOG": str(log)}, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return log.read_text().splitlines()


def test_each_xdist_group_runs_on_one_worker(tmp_path):
    """`make test` runs `--dist loadgroup` so that the grading tests run one after another, on one
    worker; tests/conftest.py keeps that working under pytest 9."""
    seen = _pytest_n2_with_the_course_conftest(tmp_path, (
        "import os, time, pytest\n"
        "@pytest.mark.parametrize('i', range(6))\n@pytest.mark.xdist_group('g')\n"
        "def test_grouped(i):\n    time.sleep(0.1)\n"
        "    print(os.environ['PYTEST_XDIST_WORKER'], file=open(os.environ['LOG'], 'a'))\n"
        "@pytest.mark.parametrize('i', range(6))\ndef test_free(i):\n    time.sleep(0.1)\n"))
    assert len(seen) == 6 and len(set(seen)) == 1, f"the group ran on workers {seen}"


def test_once_per_run_makes_its_value_once_however_many_workers_ask(tmp_path):
    """The book is built once per run (tests/test_book.py's fixture, through once_per_run), though
    its tests run on every worker: both workers use the one value, which one of them made."""
    lines = _pytest_n2_with_the_course_conftest(tmp_path, (
        "import os, time, pytest\n"
        "@pytest.fixture(scope='session')\ndef made(once_per_run):\n"
        "    def make():\n"
        "        print('made by', os.environ['PYTEST_XDIST_WORKER'], file=open(os.environ['LOG'], 'a'))\n"
        "        time.sleep(1)\n        return os.environ['PYTEST_XDIST_WORKER']\n"
        "    return once_per_run('made', make)\n"
        "@pytest.mark.parametrize('i', range(6))\ndef test_uses(made, i):\n    time.sleep(0.2)\n"
        "    print('used', os.environ['PYTEST_XDIST_WORKER'], made, file=open(os.environ['LOG'], 'a'))\n"))
    made = [ln.split()[-1] for ln in lines if ln.startswith("made by")]
    used = [ln.split()[1:] for ln in lines if ln.startswith("used")]
    assert len(made) == 1, f"made {len(made)} times: {lines}"
    assert len(used) == 6 and {by for _, by in used} == set(made), lines
    assert len({worker for worker, _ in used}) == 2, f"the tests ran on one worker only: {lines}"
