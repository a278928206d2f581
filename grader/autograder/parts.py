"""A homework's hidden grading material, and how the grader finds it.

An assignment whose notebooks call ``check(part, behaviour, Class)`` keeps, next to its source
notebooks, a folder ``autograde/`` (a Python package; ``nbgrader_config.py`` keeps it out of
``release/``) with

- ``__init__.py``: ``PARTS = {name: Part(...)}``, one entry per homework part;
- ``scenarios.py``: the problems, one function per part (``Part.problems``) returning
  ``[Scenario(name, objective, w0, kwargs, steps)]``. It is the one file of the folder mounted
  into the sandbox: the student's step needs the objectives; rules and reference stay outside.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

FOLDER = "autograde"


@dataclass(frozen=True, eq=False)
class Part:
    """One homework part: what a submission's class is held to."""

    name: str
    reference: str  # "module:Class", the reference implementation
    behaviours: dict  # behaviour -> one-line description (shown in the feedback)
    state_keys: tuple  # the state dict's keys, named as the reference state's fields
    rules: Callable  # rules(tally, reference, batch): every rule of every behaviour, over a scenario
    init_owner: dict  # state key -> the behaviour that owns its initial value
    problems: str  # the function of scenarios.py that returns this part's problems
    hide: tuple = ()  # modules of reference code the sandbox hides (they would answer the homework)
    public: tuple = ()  # Public implementations of the same method (the similarity report compares with them)

    def reference_class(self):
        module, name = self.reference.split(":")
        return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Public:
    """A well-known public implementation of a part's method, read from the instructor's installed
    copy of its package (``similarity``): the course ships none of its code."""

    title: str  # what it is, e.g. "torch.optim.Rprop"
    source: str  # "package/path/in/it.py:qualname", e.g. "torch/optim/rprop.py:_single_tensor_rprop"
    licence: str  # the package's licence, shown beside the excerpt


@dataclass(frozen=True, eq=False)
class Material:
    folder: Path  # .../source/<assignment>/autograde
    parts: dict

    @property
    def scenarios_file(self) -> Path:
        return self.folder / "scenarios.py"

    def problems(self, part: str) -> list:
        return getattr(importlib.import_module(self._package + ".scenarios"), self.parts[part].problems)()

    @property
    def _package(self):
        return _package_name(self.folder)


@functools.lru_cache(maxsize=None)
def load(assignment_dir) -> Material | None:
    """The material of the assignment whose source folder is ``assignment_dir`` (None if it has none)."""
    folder = Path(assignment_dir).resolve() / FOLDER
    if not (folder / "__init__.py").is_file():
        return None
    name = _package_name(folder)
    spec = importlib.util.spec_from_file_location(name, folder / "__init__.py", submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return Material(folder, dict(module.PARTS))


def find(part: str) -> tuple[Material, Part]:
    """For ``check`` in a notebook: the material in the notebook's folder (the assignment's source)."""
    material = load(Path.cwd())
    if material is None or part not in material.parts:
        known = sorted(material.parts) if material else []
        raise ValueError(f"no hidden checks for part {part!r} in {Path.cwd() / FOLDER}"
                         + (f" (it has {', '.join(known)})" if known else " (run this notebook from the assignment's source folder)"))
    return material, material.parts[part]


def problems_from_file(path, function: str) -> list:
    """Inside the sandbox: the problems of ``scenarios.py`` mounted at ``path``."""
    spec = importlib.util.spec_from_file_location("_problems", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return getattr(module, function)()


def _package_name(folder: Path) -> str:
    return "_autograde_" + hashlib.sha1(str(folder).encode()).hexdigest()[:12]
