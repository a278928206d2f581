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
