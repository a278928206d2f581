"""Sphinx extension for the course book.

- Notebooks executed for the book draw their controls as precomputed frames switched by a few
  lines of JavaScript (``lectures_lib.interactive`` static mode), since no kernel runs behind a
  built page.
- The page must work offline: MathJax is vendored from the npm registry at build time (cached
  in ``.cache/vendor``) and served from the build's own ``_static``.
- The repository's address is written once, in ``_config.yml`` (``repository.url``): the launch
  buttons read it there, and ``python book/_ext/lectures_book.py`` (``make install-cells``) writes
  it into each chapter's install cell, the one cell Colab runs to get the library (Colab opens a
  chapter's source from the repository, so that cell cannot look the address up).
- Until the course is published that address is empty: then there are no launch buttons (Binder,
  Colab and JupyterHub all open the chapter from the repository), and the install cell points
  nowhere; it tells a reader without the library how to install it from a clone.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

MATHJAX = "mathjax@3.2.2"
AXE = "axe-core@4.14.1"  # for the accessibility tests only
ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / ".cache" / "vendor"
INSTALL_HEAD = "try:\n    import lectures_lib  # noqa: F401\n"  # how every install cell starts
# The install cell once _config.yml has the repository's address: Colab installs the library from it.
INSTALL_CELL = INSTALL_HEAD + '''except ImportError:  # Colab or Binder: install the course library first
    %pip install -q "lectures-lib @ git+{url}"'''
# The install cell while it has none: nothing to install from, so say how to get the library.
NO_ADDRESS_CELL = INSTALL_HEAD + '''except ImportError:  # a kernel without the course library
    raise ModuleNotFoundError(
        "This chapter needs the course library lectures_lib, which this Python does not have. "
        "In a clone of the course repository, either run `make venv` and open the chapter with "
        "`.venv/bin/jupyter lab`, or install the library into this kernel's environment with "
        "`pip install '.[widgets]'` and restart the kernel.") from None'''


def repository_url(root: Path = ROOT) -> str:
    """``repository.url`` of ``_config.yml``: "" until the course is published."""
    import yaml

    return (yaml.safe_load((root / "_config.yml").read_text(encoding="utf8"))["repository"]["url"] or "").strip()


def install_cell(url: str) -> str:
    """The source of the chapters' install cell for the repository address ``url`` ("": none)."""
    return INSTALL_CELL.format(url=url) if url else NO_ADDRESS_CELL


def is_install_cell(cell) -> bool:
    return cell["cell_type"] == "code" and "".join(cell["source"]).startswith(INSTALL_HEAD)


def sync_install_cells(root: Path = ROOT) -> list[Path]:
    """Rewrite the install cell of every chapter from ``_config.yml``; only that cell changes.
    Returns the notebooks that changed."""
    source = install_cell(repository_url(root)).splitlines(keepends=True)
    changed = []
    for path in sorted((root / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf8"))
        cells = [c for c in nb["cells"] if is_install_cell(c)]
        if len(cells) != 1:
            raise ValueError(f"{path} has {len(cells)} install cells (code cells starting {INSTALL_HEAD!r}), not 1")
        if cells[0]["source"] != source:
            cells[0]["source"] = source
            staged = path.with_name(path.name + ".partial")  # a chapter is replaced whole or not at all
            staged.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf8")
            staged.replace(path)
            changed.append(path)
    return changed


NO_NPM = "the book needs npm to fetch {spec} from the npm registry once: install Debian's package npm " \
         "(apt-get install npm; scripts/setup install does)"


def vendor_npm(spec: str, dest: Path, name: str, keep, subdir: str = "package") -> Path:
    """The members ``keep(member_name)`` of the npm package ``spec``, from its ``subdir``, unpacked
    once into ``dest/name`` (under a lock: two builds started at once from a fresh checkout must
    not unpack over each other; the folder appears whole, by a rename, or not at all)."""
    target = dest / name
    if target.exists():
        return target
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            _unpack(spec, target, keep, subdir)
    return target


def _unpack(spec: str, target: Path, keep, subdir: str) -> None:
    if shutil.which("npm") is None:
        raise RuntimeError(NO_NPM.format(spec=spec))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise RuntimeError(f"could not fetch {spec} from the npm registry: {exc}") from exc
        with tarfile.open(next(Path(tmp).glob("*.tgz"))) as tar:
            tar.extractall(tmp, members=[m for m in tar.getmembers() if keep(m.name)], filter="data")
        staged = target.with_name(target.name + ".partial")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(Path(tmp) / subdir, staged)
        staged.rename(target)


def vendor_mathjax(dest: Path) -> Path:
    """es5/tex-chtml-full.js and its woff-v2 fonts, so that pages typeset math with no network."""
    return vendor_npm(MATHJAX, dest, "mathjax", subdir="package/es5", keep=lambda n: (
        n == "package/es5/tex-chtml-full.js" or "/es5/output/chtml/fonts/woff-v2/" in n))


def vendor_axe(dest: Path = ROOT / ".cache" / "test-vendor") -> Path:
    """axe-core's axe.min.js, which the browser tests inject into each page (kept out of VENDOR,
    which the book serves)."""
    return vendor_npm(AXE, dest, "axe-core", keep=lambda n: n == "package/axe.min.js") / "axe.min.js"


def launch_buttons(theme_options: dict) -> dict:
    """The launch buttons to draw: those of ``_config.yml``, or none while it has no repository
    address (each opens the chapter from the repository; sphinx-book-theme would fail on them)."""
    return theme_options.get("launch_buttons", {}) if theme_options.get("repository_url") else {}


def config_inited(app, config):
    config.html_theme_options = {**config.html_theme_options,
                                 "launch_buttons": launch_buttons(config.html_theme_options)}
    VENDOR.mkdir(parents=True, exist_ok=True)
    vendor_mathjax(VENDOR)
    config.html_static_path = list(config.html_static_path) + [str(VENDOR), str(Path(__file__).parents[1] / "_static")]
    config.mathjax_path = "mathjax/tex-chtml-full.js"


def dedupe_scripts(app, pagename, templatename, context, doctree):
    """sphinx-thebe registers its inline configuration script twice under Jupyter Book, and the
    second copy throws "THEBE_JS_URL has already been declared"; keep one of each script."""
    scripts, seen, unique = context.get("script_files", []), set(), []
    for script in scripts:
        key = (getattr(script, "filename", script) or "", repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    os.environ["LECTURES_LIB_STATIC"] = "1"  # kernels started for execution inherit it
    app.connect("config-inited", config_inited)
    app.connect("html-page-context", dedupe_scripts, priority=900)  # after others add theirs
    # pydata-sphinx-theme logs "Got invalid theme mode" on a first visit (no stored mode, and
    # sphinx-book-theme has no default_mode option): start from "auto", the theme's own default.
    app.add_js_file(None, body='document.documentElement.dataset.mode = '
                               'localStorage.getItem("mode") || "auto";', priority=1)
    app.add_css_file("lectures.css")
    app.add_js_file("lectures-a11y.js")  # accessible names of the theme's buttons and toggles
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    for path in sync_install_cells():
        print(f"{path.relative_to(ROOT)}: install cell rewritten from _config.yml")
