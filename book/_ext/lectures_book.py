"""Sphinx extension for the course book.

- Notebooks executed for the book draw their controls as precomputed frames switched by a few
  lines of JavaScript (``lectures_lib.interactive`` static mode), since no kernel runs behind a
  built page.
- The page must work offline: MathJax is vendored from the npm registry at build time (cached
  in ``.cache/vendor``) and served from the build's own ``_static``.
- A chapter's first visit stays light (at most 2 MB, tests/test_book.py measures it): MathJax
  is loaded as the components the book uses (TeX input, CommonHTML output, assistive MathML; other
  TeX extensions load on demand) instead of the full bundle; the theme's Font Awesome script
  (1.5 MB, every icon) is replaced by the dozen icons its pages show (``ll-icons.js``, made at
  build time from that script), and the admonitions' icons are SVG masks (``ll-icons.css``), so
  its icon web font (150 kB) is never fetched; and a control's frames, data URIs in the
  notebook, become image files that the page fetches only when the reader moves the control.
- Notebooks are executed into a jupyter-cache of their own for each version of lectures_lib
  (``execution_cache``): a change to how the library draws re-executes every chapter.
- Figures shown by ``plt.show()`` carry their alt text (made by ``lectures_lib.plotting`` from
  their titles and labels), their smallest text and their narrow rendering (panels one under
  another, for a phone) in the output's metadata; MyST-NB does not read them, so
  ``render_image`` is wrapped here to put them on the page.
- The repository's address is written once, in ``_config.yml`` (``repository.url``): the launch
  buttons read it there, and ``python book/_ext/lectures_book.py`` (``make install-cells``) writes
  it into each chapter's install cell, the one cell Colab runs to get the library (Colab opens a
  chapter's source from the repository, so that cell cannot look the address up).
- Until the course is published that address is empty: then there are no launch buttons (Binder,
  Colab and JupyterHub all open the chapter from the repository), and the install cell points
  nowhere; it tells a reader without the library how to install it from a clone.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse
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


# The MathJax components a page loads: startup.js and core.js, then these (about 0.76 MB, against 1.3 MB
# for tex-chtml-full.js); TeX extensions beyond input/tex's own (ams, newcommand, ...) are
# loaded from input/tex/extensions when a formula uses one.
MATHJAX_LOAD = ["input/tex", "output/chtml", "a11y/assistive-mml"]
MATHJAX_FILES = ["startup.js", "core.js"] + [f"{c}.js" for c in MATHJAX_LOAD] + ["output/chtml/fonts/tex.js"]


def vendor_mathjax(dest: Path) -> Path:
    """The components of es5/ that pages load (MATHJAX_FILES), the TeX extensions and the
    woff-v2 fonts, so that pages typeset math with no network."""
    return vendor_npm(MATHJAX, dest, "mathjax-components", subdir="package/es5", keep=lambda n: (
        n.removeprefix("package/es5/") in MATHJAX_FILES or "/es5/output/chtml/fonts/woff-v2/" in n
        or "/es5/input/tex/extensions/" in n))


# The icons the theme's pages show (fa-solid / fas), drawn as Font Awesome's script draws them:
# an inline <svg class="svg-inline--fa ..."> in place of each <i> or <span>. The admonitions'
# title icons (CSS glyphs of the theme's icon web font) are drawn from the same paths, as CSS
# masks (ll-icons.css): no page needs the web font (150 kB).
ICONS = ["angle-left", "angle-right", "arrow-up", "bars", "circle-half-stroke", "download", "expand",
         "file", "file-lines", "file-pdf", "home", "list", "magnifying-glass", "moon", "outdent", "pencil",
         "sun"]
FONTAWESOME = "scripts/fontawesome.js"
ICON_TAIL = r',"[0-9a-f]+","(M[^"]+)"\]'  # the icon's unicode and its one path


def icon_paths(fontawesome_js: str, names=ICONS) -> dict:
    """``{name: [width, height, svg path]}`` of the solid icons ``names``, read from the theme's
    Font Awesome bundle (its solid pack is the one that ends by defining "fas")."""
    end = fontawesome_js.index('d("fas",p)')
    start = fontawesome_js.rindex('d("far",p)', 0, end)  # the pack before it
    pack = fontawesome_js[start:end]
    icons = {}
    for name in names:
        own = r'(?<![\w-])"?' + re.escape(name) + r'"?:\[(\d+),(\d+),\[[^\]]*\]'
        alias = r'(?<![\w-])"?[\w-]+"?:\[(\d+),(\d+),\[[^\]]*"' + re.escape(name) + r'"[^\]]*\]'  # e.g. home: house
        m = re.search(own + ICON_TAIL, pack) or re.search(alias + ICON_TAIL, pack)
        if m is None:
            raise RuntimeError(f"the theme's {FONTAWESOME} has no solid icon {name!r}: add it or drop it from ICONS")
        icons[name] = [int(m.group(1)), int(m.group(2)), m.group(3)]
    return icons


ICONS_JS = """(function () {
  var icons = %s, svg = "http://www.w3.org/2000/svg";
  function draw() {
    document.querySelectorAll("i.fa-solid, i.fas, span.fa-solid, span.fas").forEach(function (i) {
      var name = Array.prototype.find.call(i.classList, function (c) { return icons[c.slice(3)] && c.indexOf("fa-") === 0; });
      if (!name) return;
      var icon = icons[name.slice(3)], s = document.createElementNS(svg, "svg"), p = document.createElementNS(svg, "path");
      Array.prototype.forEach.call(i.attributes, function (a) { if (a.name !== "class" && a.name !== "title") s.setAttribute(a.name, a.value); });
      s.setAttribute("class", "svg-inline--fa " + i.className);
      s.setAttribute("viewBox", "0 0 " + icon[0] + " " + icon[1]);
      s.setAttribute("aria-hidden", "true");
      s.setAttribute("focusable", "false");
      p.setAttribute("fill", "currentColor");
      p.setAttribute("d", icon[2]);
      s.appendChild(p);
      i.replaceWith(s);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
"""


# pydata-sphinx-theme names each admonition's icon in a CSS variable (its glyph in the web font).
_ADMONITION_ICON = re.compile(r"--pst-icon-admonition-([\w-]+):\s*var\(--pst-icon-([\w-]+)\)")
ICONS_CSS_HEAD = """/* The admonitions' title icons, as the theme draws them (its colour, size and place) but from
   an SVG mask, not a glyph of its icon web font; made by book/_ext/lectures_book.py. */
html .admonition > .admonition-title::after, html div.admonition > .admonition-title::after {
  content: "" !important; font: inherit; background-color: currentColor;
  -webkit-mask: var(--ll-admonition-icon) center / contain no-repeat; mask: var(--ll-admonition-icon) center / contain no-repeat;
}
"""


def admonition_icons_css(theme_css: str, fontawesome_js: str) -> str:
    """ll-icons.css: for each admonition class of ``theme_css`` (``default``: any admonition),
    its icon as the SVG mask ``--ll-admonition-icon``."""
    kinds = dict(_ADMONITION_ICON.findall(theme_css))
    if "default" not in kinds:
        raise RuntimeError("the theme's CSS names no --pst-icon-admonition-default: its admonition icons moved")
    paths = icon_paths(fontawesome_js, sorted(set(kinds.values())))
    rules = []
    for kind, icon in sorted(kinds.items(), key=lambda kv: kv[0] != "default"):
        width, height, d = paths[icon]
        svg = f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}'><path d='{d}'/></svg>"
        selector = ".admonition" if kind == "default" else f".admonition.{'admonition-todo' if kind == 'todo' else kind}"
        rules.append(f'{selector} {{ --ll-admonition-icon: url("data:image/svg+xml,{urllib.parse.quote(svg)}"); }}')
    return ICONS_CSS_HEAD + "\n".join(rules) + "\n"


def vendor_axe(dest: Path = ROOT / ".cache" / "test-vendor") -> Path:
    """axe-core's axe.min.js, which the browser tests inject into each page (kept out of VENDOR,
    which the book serves)."""
    return vendor_npm(AXE, dest, "axe-core", keep=lambda n: n == "package/axe.min.js") / "axe.min.js"


def launch_buttons(theme_options: dict) -> dict:
    """The launch buttons to draw: those of ``_config.yml``, or none while it has no repository
    address (each opens the chapter from the repository; sphinx-book-theme would fail on them)."""
    return theme_options.get("launch_buttons", {}) if theme_options.get("repository_url") else {}


def execution_cache(root: Path = ROOT) -> Path:
    """The jupyter-cache folder for the course library as it is now: jupyter-cache knows a
    notebook by its code cells alone, so a changed lectures_lib (how figures and frames are
    drawn) would otherwise leave every chapter's old outputs in place. Caches of other versions
    of the library are removed."""
    digest = hashlib.sha256()
    for path in sorted((root / "lectures_lib").rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    caches = root / "_build" / ".jupyter_cache"
    current = caches / f"lectures-lib-{digest.hexdigest()[:16]}"
    for old in caches.glob("lectures-lib-*"):
        if old != current:
            shutil.rmtree(old, ignore_errors=True)
    return current


def config_inited(app, config):
    if not config.nb_execution_cache_path:  # _config.yml's execute.cache, when set, wins
        config.nb_execution_cache_path = str(execution_cache())
    # Made here, once: the processes that read the chapters in parallel would race to make it
    # ("table settings already exists").
    from jupyter_cache import get_cache

    get_cache(config.nb_execution_cache_path).list_cache_records()  # makes the database first
    config.html_theme_options = {**config.html_theme_options,
                                 "launch_buttons": launch_buttons(config.html_theme_options)}
    VENDOR.mkdir(parents=True, exist_ok=True)
    vendor_mathjax(VENDOR)
    config.html_static_path = list(config.html_static_path) + [str(VENDOR), str(Path(__file__).parents[1] / "_static")]
    config.mathjax_path = "mathjax-components/startup.js"
    mathjax = dict(config.mathjax3_config or {})
    mathjax["loader"] = {**mathjax.get("loader", {}), "load": MATHJAX_LOAD}
    config.mathjax3_config = mathjax


def write_icons(app):
    """``_static/ll-icons.js``: the icons of ICONS, and ``_static/ll-icons.css``: the admonitions'
    icons, both from the theme's own Font Awesome script."""
    if app.builder.format != "html":
        return
    import pydata_sphinx_theme

    static = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    bundle = (static / FONTAWESOME).read_text(encoding="utf8")
    target = Path(app.outdir) / "_static"
    target.mkdir(parents=True, exist_ok=True)
    (target / "ll-icons.js").write_text(ICONS_JS % json.dumps(icon_paths(bundle), separators=(",", ":")), encoding="utf8")
    theme_css = (static / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf8")
    (target / "ll-icons.css").write_text(admonition_icons_css(theme_css, bundle), encoding="utf8")


_FONTAWESOME_TAG = re.compile(r'<script[^>]*src="[^"]*_static/' + re.escape(FONTAWESOME) + r'[^"]*"[^>]*></script>\s*')
_FIGURE_IMG = re.compile(r'<img (?=[^>]*(?:src="[^"]*_images/|class="ll-frame[ "-]))[^>]*>')
_FRAME_URI = re.compile(r"data:image/(webp|png);base64,([A-Za-z0-9+/=]+)")


_SIZE_STYLE = re.compile(r' style="width: (\d+)px; height: (\d+)px;"')


def _figure_img(tag: str) -> str:
    """A figure's <img> loading lazily, its size (Sphinx writes it as a style, whose height stays
    put when a narrower column shrinks the width) as width and height attributes, which give
    the box its aspect ratio (lectures.css: height auto) before the image arrives."""
    tag = _SIZE_STYLE.sub(r' width="\1" height="\2"', tag)
    return tag if "loading=" in tag else '<img loading="lazy" ' + tag[len("<img "):]


def lighten_pages(app, exception):
    """Every page of the build: no Font Awesome bundle (ll-icons.js draws its icons), figures
    loaded lazily (as the reader scrolls to them), and each control's frames (data URIs)
    written once as files under _frames/, named by their content."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    frames = out / "_frames"
    frames.mkdir(exist_ok=True)
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf8")
        prefix = "../" * (len(page.relative_to(out).parts) - 1)

        def to_file(m, prefix=prefix):
            data = base64.b64decode(m.group(2))
            name = f"{hashlib.sha256(data).hexdigest()[:20]}.{m.group(1)}"
            if not (frames / name).exists():
                (frames / name).write_bytes(data)
            return f"{prefix}_frames/{name}"

        new = _FONTAWESOME_TAG.sub("", text)
        # Figures load as the reader scrolls to them (width and height are set: no reflow).
        new = _FIGURE_IMG.sub(lambda m: _figure_img(m.group(0)), new)
        if 'class="ll-explore"' in new:
            new = re.sub(r'<div class="ll-explore".*?</script></div>',
                         lambda block: _FRAME_URI.sub(to_file, block.group(0)), new, flags=re.S)
        if new != text:
            page.write_text(new, encoding="utf8")


def refresh_static(app, exception):
    """The static files (lectures.css, lectures-a11y.js, MathJax) copied again at the end of every
    build: Sphinx 7 copies them only when some page is out of date, so a change to them alone
    never reached the build."""
    if exception is None and app.builder.format == "html":
        if not hasattr(app.builder, "globalcontext"):  # no page was written: the context its copy needs
            app.builder.prepare_writing(set())
        app.builder.copy_static_files()


def image_from_output_metadata():
    """MyST-NB sizes a notebook image from its output metadata but drops the rest of what
    ``lectures_lib.plotting.png`` puts there: keep its ``alt`` (an alt set in the cell's metadata
    still wins), mark the image with its smallest text (class ``ll-text-<points>pt``), and add
    its ``narrow`` rendering as a second image (classes ``ll-wide`` and ``ll-narrow``:
    lectures.css shows the one the column fits)."""
    from docutils import nodes
    from myst_nb.core.render import NbElementRenderer

    render = NbElementRenderer.render_image
    if getattr(render, "keeps_metadata", False):
        return

    def render_image(self, data):
        result = render(self, data)
        meta = data.output_metadata.get(data.mime_type, {})
        images = [node for node in result if isinstance(node, nodes.image)]
        for node in images:
            if meta.get("alt") and "alt" not in node:
                node["alt"] = str(meta["alt"])
            if "text_pt" in meta:
                node["classes"].append(f"ll-text-{meta['text_pt']:g}pt")
        if meta.get("narrow") and len(images) == 1:
            narrow = meta["narrow"]
            png = base64.b64decode(narrow["data"])
            uri = self.write_file([f"{hashlib.sha256(png).hexdigest()}.png"], png, overwrite=False, exists_ok=True)
            images[0]["classes"].append("ll-wide")
            result.append(nodes.image(uri=uri, alt=images[0].get("alt", ""), width=f"{narrow['width']}px",
                                      height=f"{narrow['height']}px",
                                      classes=[c for c in images[0]["classes"] if c != "ll-wide"] + ["ll-narrow"]))
        return result

    render_image.keeps_metadata = True
    NbElementRenderer.render_image = render_image


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
    # sphinx-external-toc loads sphinx-multitoc-numbering, which only replaces a method run after
    # the pages are read, but does not say it is safe for parallel reading: Sphinx would then read
    # (and execute) the chapters one at a time (book/_ext/build.py).
    numbering = app.extensions.get("sphinx_multitoc_numbering")
    if numbering is not None:
        numbering.parallel_read_safe = True
    app.connect("config-inited", config_inited)
    app.connect("builder-inited", write_icons)
    app.connect("build-finished", lighten_pages)
    app.connect("build-finished", refresh_static)
    image_from_output_metadata()
    app.connect("html-page-context", dedupe_scripts, priority=900)  # after others add theirs
    # pydata-sphinx-theme logs "Got invalid theme mode" on a first visit (no stored mode, and
    # sphinx-book-theme has no default_mode option): start from "auto", the theme's own default.
    app.add_js_file(None, body='document.documentElement.dataset.mode = '
                               'localStorage.getItem("mode") || "auto";', priority=1)
    app.add_css_file("lectures.css")
    app.add_css_file("ll-icons.css")  # the admonitions' icons, without the theme's icon web font
    app.add_js_file("ll-icons.js")  # the theme's icons, without its 1.5 MB Font Awesome bundle
    app.add_js_file("lectures-a11y.js")  # accessible names of the theme's buttons and toggles
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    for path in sync_install_cells():
        print(f"{path.relative_to(ROOT)}: install cell rewritten from _config.yml")
