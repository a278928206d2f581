"""The built book: it builds strictly, every chapter executes, and in a real browser every
page loads with no network, no console error, rendered math, and controls and polls that work
with no kernel behind the page.

The browser tests use Debian's Chromium (/usr/bin/chromium) through Playwright; without it they
skip and say how to enable them. All tests here share one build, made by the first xdist worker
that needs it (the others wait for it), so they can run on any worker. Each browser test loads a
page once per colour scheme or viewport and makes every check of that load on it (the ``check_*``
functions, in an order where none changes what a later one reads).
"""
import contextlib
import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")


def chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]


NOTEBOOKS = [c for c in chapters() if (ROOT / f"{c}.ipynb").exists()]  # the chapters that are notebooks


@pytest.fixture(scope="session")
def book(once_per_run):
    """Build the book as `make book` does (strict; cached execution), once per run: by the first
    xdist worker that needs it, while the others wait for it."""
    def build():
        cmd = [sys.executable, "book/_ext/build.py", "build", ".", "--path-output", ".",
               "-W", "-n", "--keep-going"]
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        return {"returncode": run.returncode, "log": f"{run.stdout[-6000:]}\n{run.stderr[-3000:]}"}

    built = once_per_run("book-build", build)
    assert built["returncode"] == 0, f"the book does not build:\n{built['log']}"
    return HTML


@pytest.mark.parametrize("chapter", chapters())
def test_every_chapter_is_built_and_executed_without_tracebacks(book, chapter):
    page = (book / f"{chapter}.html").read_text(encoding="utf8")
    assert "Traceback (most recent call last)" not in page and "output traceback" not in page
    source = ROOT / f"{chapter}.ipynb"
    if source.exists():  # notebook chapters: downloadable as .ipynb, and executed
        assert (book / "_sources" / f"{chapter}.ipynb").exists()
        assert 'class="cell_output' in page, f"{chapter} shows no executed output"


@pytest.mark.parametrize("chapter", chapters())
def test_every_page_states_the_licences_in_its_footer(book, chapter):
    page = (book / f"{chapter}.html").read_text(encoding="utf8")
    footer = page[page.index('<footer class="bd-footer-content'):]
    assert 'class="ll-licence"' in footer and "CC BY 4.0" in footer and "MIT License" in footer, \
        f"{chapter}'s footer does not state the licences"


@pytest.mark.parametrize("chapter", NOTEBOOKS)
def test_every_chapter_has_a_control_and_launch_buttons_only_with_a_repository(book, chapter):
    page = (book / f"{chapter}.html").read_text(encoding="utf8")
    assert 'class="ll-explore"' in page, f"{chapter} has no control a reader can move"
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    hosts = ["mybinder.org", "colab.research.google.com"]
    if repository:
        for host in hosts:
            assert host in page, f"{chapter} has no {host} launch button"
    else:  # each would open the chapter from a repository that does not exist
        drawn = [h for h in hosts + ["launch-buttons", "/hub/user-redirect/git-pull"] if h in page]
        assert drawn == [], f"{chapter} has launch buttons but _config.yml no repository.url: {drawn}"


@pytest.mark.parametrize("chapter", NOTEBOOKS)
def test_every_explore_call_is_its_cells_last_expression_and_each_is_on_the_page(book, chapter):
    """A control renders only as its cell's last expression: code after interactive.explore(...)
    silently drops it from the page."""
    import ast
    import json

    cells = json.loads((ROOT / f"{chapter}.ipynb").read_text(encoding="utf8"))["cells"]
    explores = 0
    for i, cell in enumerate(cells):
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and "interactive.explore(" in src:
            explores += 1
            last = ast.parse(src).body[-1]
            assert isinstance(last, ast.Expr) and ast.unparse(last.value).startswith("interactive.explore("), \
                f"{chapter} cell {i}: code after interactive.explore(...) hides its control"
    page = (book / f"{chapter}.html").read_text(encoding="utf8")
    assert page.count('class="ll-explore"') == explores, chapter


def test_notebook_sources_are_committed_without_outputs():
    import nbformat

    for chapter in chapters():
        path = ROOT / f"{chapter}.ipynb"
        if path.exists():
            nb = nbformat.read(path, as_version=4)
            assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: run `apt-get install chromium` "
                    "(.ci/run does) to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(book):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(book)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@contextlib.contextmanager
def opened(browser, base, chapter, color_scheme="light"):
    """A loaded page (1280 x 720), the requests that tried to leave the machine, the console
    errors and the requests that finished (in order). ``color_scheme``: the reader's system
    setting, which the book's default mode ("auto") follows."""
    page = browser.new_page(color_scheme=color_scheme)
    outside, errors, finished = [], [], []

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfinished", lambda r: finished.append(r))
    page.goto(f"{base}/{chapter}.html", wait_until="networkidle")
    try:
        yield page, outside, errors, finished
    finally:
        page.close()


CHOICES = {"book/07_learning_rates": "schedule", "book/08_rprop_quickprop": "variant", "book/10_summary": "problem_name"}
SCHEME_CHAPTERS = ["book/01_recap", "book/08_rprop_quickprop", "book/10_summary"]


@pytest.mark.parametrize("chapter", chapters())
def test_page_in_light_mode(browser, server, axe, chapter):
    """One first visit in light mode, and on it, in this order: what it weighs, its math, axe,
    the scheme of its controls and polls, its radio buttons, its controls with the mouse, then
    with the keyboard (which answers the polls), the typeset text of its polls; and no request
    left the machine and no console error came, from loading to the last check."""
    with opened(browser, server, chapter) as (page, outside, errors, finished):
        check_first_visit_weighs_at_most_2_mb(page, finished, chapter)
        check_page_renders_math(page)
        check_no_wcag_2_1_a_or_aa_violation(page, axe, "light")
        if chapter in SCHEME_CHAPTERS:
            check_controls_and_polls_follow_the_page_scheme(page, "light")
        if chapter in CHOICES:
            check_unordered_choices_are_radio_buttons(page, CHOICES[chapter])
        if chapter in NOTEBOOKS:
            check_every_control_switches_its_figure(page)
            check_every_control_and_poll_works_from_the_keyboard_alone(page)
            check_poll_text_is_typeset_with_no_tex_left(page)
        assert outside == [], f"requests left the machine: {outside}"
        assert errors == [], f"console errors: {errors}"


@pytest.mark.parametrize("chapter", chapters())
def test_page_in_dark_mode(browser, server, axe, chapter):
    """The page in dark mode: axe, and the scheme of its controls and polls; no console error."""
    with opened(browser, server, chapter, color_scheme="dark") as (page, _, errors, _):
        check_no_wcag_2_1_a_or_aa_violation(page, axe, "dark")
        if chapter in SCHEME_CHAPTERS:
            check_controls_and_polls_follow_the_page_scheme(page, "dark")
        assert errors == [], f"console errors: {errors}"


@pytest.mark.parametrize("chapter", NOTEBOOKS)
def test_every_poll_and_number_exercise_marks_answers(browser, server, chapter):
    """On a page no one has answered yet (the light-mode test answers its polls)."""
    with opened(browser, server, chapter) as (page, _, errors, _):
        check_every_poll_marks_answers(page)
        check_every_number_exercise_marks_answers(page)
        assert errors == [], f"console errors: {errors}"


def check_first_visit_weighs_at_most_2_mb(page, finished, chapter):
    """The bytes a first visit (1280 x 720) transfers until the network is idle and MathJax has
    typeset the page, as a static host that gzips text (GitHub Pages, Netlify, nginx's gzip_static)
    sends them: every response's headers, text bodies gzipped, images and fonts as they are. The
    test server sends no gzip, so text is compressed here. Frames the reader has not asked for
    and figures below the fold (loading="lazy") are not fetched."""
    import gzip

    if page.locator(".math").count():
        page.wait_for_selector("mjx-container", state="attached", timeout=15000)
        page.wait_for_load_state("networkidle")
    sent, raw = {}, 0
    for r in list(finished):
        body, kind = r.response().body(), r.response().headers.get("content-type", "")
        raw += len(body)
        text = kind.startswith("text/") or any(t in kind for t in ("javascript", "json", "svg"))
        sent[r.url] = (len(gzip.compress(body, 6)) if text else len(body)) + r.sizes()["responseHeadersSize"]
    total = sum(sent.values())
    largest = sorted(sent.items(), key=lambda kv: -kv[1])[:4]
    assert total <= 2_000_000, f"{chapter}: first visit {total / 1e6:.2f} MB ({raw / 1e6:.2f} MB unzipped), {largest}"
    assert not [u for u in sent if "scripts/fontawesome.js" in u]
    assert not [u for u in sent if "/webfonts/" in u or "fa-solid" in u], \
        f"{chapter}: the theme's icon web font was fetched (ll-icons.js and ll-icons.css draw every icon)"
    frames = page.locator("img.ll-frame").count()
    assert len([u for u in sent if "/_frames/" in u]) <= frames  # at most the shown frame of each figure


def check_page_renders_math(page):
    if page.locator(".math").count():  # Sphinx marks every formula with class "math"
        page.wait_for_selector("mjx-container", state="attached", timeout=15000)
        assert page.locator("mjx-container").count() > 0
        assert page.locator("mjx-merror, .MathJax_Error").count() == 0, "MathJax could not typeset a formula"


def check_every_control_switches_its_figure(page):
    widgets = page.locator(".ll-explore")
    assert widgets.count() > 0
    for i in range(widgets.count()):
        w = widgets.nth(i)
        img = w.locator("img.ll-frame")
        for j in range(w.locator("input.ll-range").count()):
            slider = w.locator("input.ll-range").nth(j)
            start, top = slider.input_value(), int(slider.get_attribute("max"))
            target = "0" if start != "0" else str(top)
            before = img.get_attribute("src")
            slider.fill(target)
            assert img.get_attribute("src") != before, f"control {j} of figure {i} did not change the figure"
            assert w.locator("output").nth(j).text_content().strip()
            slider.fill(start)
            assert img.get_attribute("src") == before
        for group in w.locator("fieldset.ll-choice").all():  # a choice among names: radio buttons
            radios = group.locator("input[type=radio]")
            chosen = next(k for k in range(radios.count()) if radios.nth(k).is_checked())
            before = img.get_attribute("src")
            radios.nth(0 if chosen else 1).check()
            assert img.get_attribute("src") != before, f"a choice of figure {i} did not change the figure"
            radios.nth(chosen).check()
            assert img.get_attribute("src") == before
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())


def check_unordered_choices_are_radio_buttons(page, name):
    """The schedule, the Rprop variant and the problem have no order: radio buttons, not a slider."""
    group = page.locator(f'fieldset.ll-choice[data-name="{name}"]')
    assert group.count() == 1 and group.locator("input[type=radio]").count() >= 3
    assert page.locator(f'input.ll-range[name="{name}"]').count() == 0
    assert group.locator("legend").text_content().strip()


def check_every_poll_marks_answers(page):
    polls = page.locator(".ll-poll")
    for i in range(polls.count()):
        poll = polls.nth(i)
        correct = poll.get_attribute("data-correct").split(",")
        inputs = poll.locator("input")
        # before an answer: no explanation, no note, no per-option feedback
        assert not poll.locator(".ll-why").is_visible()
        assert all(not poll.locator(".ll-note, .ll-option-feedback").nth(j).is_visible()
                   for j in range(poll.locator(".ll-note, .ll-option-feedback").count()))
        for k in range(inputs.count()):  # the right answer
            if (str(k) in correct) != inputs.nth(k).is_checked():
                inputs.nth(k).click()
        poll.locator("button.ll-check").click()
        assert poll.locator(".ll-feedback").text_content() == "Correct."
        assert poll.locator(".ll-why").is_visible()
        if poll.locator(".ll-note").count():
            assert poll.locator(".ll-note").is_visible()
        feedback = poll.locator(".ll-option-feedback")
        for j in range(feedback.count()):  # feedback shown for exactly the chosen options
            assert feedback.nth(j).is_visible() == (str(j) in correct)
        wrong = next(k for k in range(inputs.count()) if str(k) not in correct)
        inputs.nth(wrong).click()  # a wrong one (radio: replaces; checkbox: adds)
        poll.locator("button.ll-check").click()
        assert poll.locator(".ll-feedback").text_content() == "Not quite."


def check_every_number_exercise_marks_answers(page):
    boxes = page.locator(".ll-number")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        answer = float(box.get_attribute("data-answer"))
        assert not box.locator(".ll-why").is_visible()
        box.locator("input.ll-answer").fill("")
        box.locator("button.ll-check").click()
        assert box.locator(".ll-feedback").text_content() == "Enter a number first."
        assert not box.locator(".ll-why").is_visible()
        box.locator("input.ll-answer").fill(repr(answer))
        box.locator("button.ll-check").click()
        assert box.locator(".ll-feedback").text_content() == "Correct."
        assert box.locator(".ll-why").is_visible()
        box.locator("input.ll-answer").fill(repr(answer * 1.5 + 1))
        box.locator("button.ll-check").click()
        assert box.locator(".ll-feedback").text_content() == "Not quite."


def test_poll_compares_chosen_options_as_numbers(browser):
    """Options 2 and 10 are correct: as strings "10" sorts before "2", as numbers it does not."""
    from lectures_lib import interactive

    options = [f"option {i}" for i in range(12)]
    html = interactive.poll("Mark 2 and 10", options, correct=[2, 10], why="w",
                            feedback=[f"about {i}" for i in range(12)])._repr_html_()
    page = browser.new_page()
    try:
        page.set_content(f"<html><body>{html}</body></html>")
        poll = page.locator(".ll-poll")
        inputs = poll.locator("input")
        inputs.nth(10).click()
        inputs.nth(2).click()
        poll.locator("button.ll-check").click()
        assert poll.locator(".ll-feedback").text_content() == "Correct."
        shown = [j for j in range(12) if poll.locator(".ll-option-feedback").nth(j).is_visible()]
        assert shown == [2, 10]
        inputs.nth(1).click()
        poll.locator("button.ll-check").click()
        assert poll.locator(".ll-feedback").text_content() == "Not quite."
    finally:
        page.close()


def test_every_chapter_has_a_self_checking_exercise(book):
    for chapter in chapters():
        if (ROOT / f"{chapter}.ipynb").exists() and chapter not in ("book/11_measured", "book/12_engineering"):
            page = (book / f"{chapter}.html").read_text(encoding="utf8")
            assert 'id="exercises"' in page, f"{chapter} has no Exercises section"
            exercises = page.split('id="exercises"')[1]
            assert 'class="ll-number"' in exercises or 'class="ll-poll"' in exercises, chapter


@pytest.mark.parametrize("chapter", [f"book/{p.stem}" for p in sorted((ROOT / "book").glob("[01][0-9]_*.ipynb"))
                                     if p.stem[:2] <= "10"])
def test_every_chapter_ends_with_key_equations_and_two_to_four_exercises_with_folded_solutions(chapter):
    """Chapters 1-10: a key-equations box; 2-4 numbered exercises, at least one self-checking (a
    number_check or poll after the Exercises heading); every coding exercise with a dropdown
    solution that states its answer (a comment in its code or a sentence of its own)."""
    import json
    import re

    cells = json.loads((ROOT / f"{chapter}.ipynb").read_text(encoding="utf8"))["cells"]
    text = ["".join(c["source"]) for c in cells]
    assert any("```{admonition} Key equations" in t for t in text), chapter
    start = next(i for i, t in enumerate(text) if "## Exercises" in t)
    items = re.findall(r"^\d+\. \*\((Self-checking|Coding)\.\)\*", text[start], re.M)
    assert 2 <= len(items) <= 4 and "Self-checking" in items, (chapter, items)
    after = cells[start + 1:]
    assert any(c["cell_type"] == "code" and re.search(r"interactive\.(number_check|poll)\(", "".join(c["source"]))
               for c in after), chapter
    solutions = [t for t in text[start + 1:] if "```{admonition} Solution" in t]
    assert len(solutions) == items.count("Coding"), chapter
    for sol in solutions:
        assert ":class: dropdown" in sol, chapter
        code = re.search(r"```python\n(.*?)```", sol, re.S)
        prose = re.sub(r"```python\n.*?```", "", sol, flags=re.S).split(":class: dropdown", 1)[1]
        assert (code and re.search(r"#\s*\S", code.group(1))) or re.search(r"[A-Za-z]{3,}.*\.", prose), chapter
    assert not any("Story so far" in t for t in text), chapter


@pytest.fixture(scope="session")
def axe():
    """axe-core from the npm registry, vendored at test time like MathJax (book/_ext)."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import lectures_book

    return lectures_book.vendor_axe()


WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page, axe):
    page.add_script_tag(path=str(axe))  # inline: no request leaves the page's own server
    return page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                           rules: {"label-content-name-mismatch": {enabled: true}}});
        return r.violations.map(v => `${v.id} (${v.nodes.length} nodes, e.g. ${v.nodes[0].target.join(" ")})`);
    }""", WCAG_21_A_AA)


def check_no_wcag_2_1_a_or_aa_violation(page, axe, mode):
    assert page.evaluate("() => document.documentElement.dataset.theme") == mode
    assert axe_violations(page, axe) == []
    # Controls and polls sit on the page's own background in either mode (the theme puts
    # outputs on a light box in dark mode, where the dark form controls then read inverted).
    boxes = page.locator(".text_html:has(.ll-explore, .ll-poll)")
    for k in range(boxes.count()):
        assert boxes.nth(k).evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"


def check_every_control_and_poll_works_from_the_keyboard_alone(page):
    for slider in page.locator("input.ll-range").all():
        root = slider.locator("xpath=ancestor::div[contains(@class, 'll-explore')]")
        before, state = root.locator("img.ll-frame").get_attribute("src"), root.get_attribute("data-state")
        at_top = slider.input_value() == slider.get_attribute("max")
        slider.focus()
        page.keyboard.press("ArrowLeft" if at_top else "ArrowRight")
        assert root.get_attribute("data-state") != state, "a slider did not move from the keyboard"
        assert root.locator("img.ll-frame").get_attribute("src") != before, \
            f"slider {slider.get_attribute('name')} moved from the keyboard but its figure did not change"
        page.keyboard.press("ArrowRight" if at_top else "ArrowLeft")
        assert root.get_attribute("data-state") == state
    for group in page.locator("fieldset.ll-choice").all():  # arrows move the choice within a group
        root = group.locator("xpath=ancestor::div[contains(@class, 'll-explore')]")
        before, state = root.locator("img.ll-frame").get_attribute("src"), root.get_attribute("data-state")
        group.locator("input:checked").focus()
        page.keyboard.press("ArrowRight")
        assert root.get_attribute("data-state") != state, "a choice did not move from the keyboard"
        assert root.locator("img.ll-frame").get_attribute("src") != before
        page.keyboard.press("ArrowLeft")
        assert root.get_attribute("data-state") == state
    for poll in page.locator(".ll-poll").all():
        correct = poll.get_attribute("data-correct").split(",")
        inputs = poll.locator("input")
        if inputs.first.get_attribute("type") == "radio":
            inputs.nth(int(correct[0])).focus()  # arrows move within a group; Space picks
            page.keyboard.press("Space")
        else:
            for k in correct:
                inputs.nth(int(k)).focus()
                page.keyboard.press("Space")
        poll.locator("button.ll-check").focus()
        page.keyboard.press("Enter")
        assert poll.locator(".ll-feedback").text_content() == "Correct."


def luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(float(v)) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# The colour behind an element: the first ancestor (itself included) with an opaque background.
BACKGROUND = """e => { for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
    const m = c.match(/[\\d.]+/g); if (m && (m.length < 4 || +m[3] > 0.5)) return m.slice(0, 3); }
    return ["255", "255", "255"]; }"""


def check_controls_and_polls_follow_the_page_scheme(page, mode):
    """In either mode, a poll's or a control's box, its text and its form controls are one scheme:
    dark box, light text and dark-scheme controls in dark mode (so a chosen radio button looks
    chosen), the reverse in light mode. Colour contrast is axe's (check above, both modes)."""
    boxes = page.locator(".ll-poll, .ll-number, .ll-controls").all()
    assert boxes
    for box in boxes:
        back = luminance(box.evaluate(BACKGROUND))
        text = luminance(box.evaluate("e => getComputedStyle(e).color.match(/[\\d.]+/g).slice(0, 3)"))
        assert (back < 0.2 and text > 0.5) if mode == "dark" else (back > 0.8 and text < 0.2), \
            f"{mode} mode: box luminance {back:.2f}, text {text:.2f}"
        for control in box.locator("input, button").all():
            assert control.evaluate("e => getComputedStyle(e).colorScheme") == mode


def check_poll_text_is_typeset_with_no_tex_left(page):
    """Math in a poll (question, options, feedback, explanation, note) is typeset like the prose:
    once every part is shown, no backslash, subscript or superscript markup is left as text."""
    polls = page.locator(".ll-poll, .ll-number")
    if page.locator(".ll-poll .math, .ll-number .math").count():
        page.wait_for_function("() => document.querySelectorAll('.ll-poll .math mjx-container,"
                               " .ll-number .math mjx-container').length"
                               " === document.querySelectorAll('.ll-poll .math, .ll-number .math').length",
                               timeout=15000)
    page.evaluate("() => document.querySelectorAll('.ll-poll [hidden], .ll-number [hidden]')"
                  ".forEach(e => e.hidden = false)")
    for i in range(polls.count()):
        text = polls.nth(i).inner_text()
        for markup in ["\\", "_{", "^{", "^T", "$"]:
            assert markup not in text, f"poll {i} shows {markup!r} as text: {text[:300]!r}"
    assert page.locator(".ll-poll mjx-merror, .ll-number mjx-merror").count() == 0


HASH = __import__("re").compile(r"[0-9a-f]{16}|\\.(png|jpe?g|svg|webp)$")


@pytest.mark.parametrize("chapter", chapters())
def test_every_figure_has_meaningful_alt_text(book, chapter):
    """Every image of a page says what it shows: not empty, not a file name or a hash."""
    import html.parser

    class Images(html.parser.HTMLParser):
        found = []

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.found.append(dict(attrs))

    parser = Images()
    parser.found = []
    parser.feed((book / f"{chapter}.html").read_text(encoding="utf8"))
    for img in parser.found:
        alt = (img.get("alt") or "").strip()
        assert len(alt) >= 8 and not HASH.search(alt), f"{chapter}: image {img.get('src', '')[:60]} has alt {alt!r}"


@contextlib.contextmanager
def sized(browser, base, chapter, width):
    """``chapter`` loaded in a ``width`` x 844 viewport (a 390 px phone, a 1280 px desktop), and
    the URLs it requested."""
    page = browser.new_page(viewport={"width": width, "height": 844})
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        page.goto(f"{base}/{chapter}.html", wait_until="networkidle")
        yield page, requested
    finally:
        page.close()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("chapter", chapters())
def test_page_at_width(browser, server, chapter, width):
    """One load at a phone's width (390 px) or a desktop's (1280 px), and on it, in this order: its
    icons, its text sizes, then (scrolling through it) its figures; at 390 px last (with every
    hidden cell shown) its code and tables."""
    with sized(browser, server, chapter, width) as (page, requested):
        check_every_icon_is_drawn_without_the_icon_web_font(page, requested, chapter)
        check_text_is_at_least_9_px_in_figures_and_12_px_on_the_page(page, chapter, width)
        if chapter in NOTEBOOKS:
            check_figures_fit_a_phone_with_their_panels_one_under_another(page, requested, chapter, width)
        if width == 390:
            check_code_and_tables_fit_or_scroll_in_a_focusable_region_at_390_px(page, chapter)


SCROLL_THROUGH = """async () => { for (let y = 0; y < document.body.scrollHeight; y += 400) {
    window.scrollTo(0, y); await new Promise(r => setTimeout(r, 20)); } }"""
# Every figure image shown, loaded: its classes, natural and displayed size.
SHOWN_FIGURES = """async () => {
    const shown = [...document.querySelectorAll('.bd-content .cell_output img')].filter(i => i.getClientRects().length);
    await Promise.all(shown.map(i => { i.loading = 'eager'; return i.decode().catch(() => null); }));
    return shown.map(i => ({cls: i.className, src: i.src, natural: [i.naturalWidth, i.naturalHeight],
                            shown: [i.getBoundingClientRect().width, i.getBoundingClientRect().height]})); }"""


def check_figures_fit_a_phone_with_their_panels_one_under_another(page, requested, chapter, width):
    """At 390 px no figure or control frame is shrunk below 90 % of the size it was drawn for
    (nor squeezed: its aspect ratio is kept): those wider than the column show their narrow
    rendering, panels one under another. Each width (390 px, 1280 px) fetches only the rendering
    it shows."""
    from lectures_lib.plotting import SCALE

    page.evaluate(SCROLL_THROUGH)
    page.wait_for_load_state("networkidle")
    figures = page.evaluate(SHOWN_FIGURES)
    assert figures, f"{chapter} shows no figure at {width} px"
    for f in figures:
        (nw, nh), (w, h) = f["natural"], f["shown"]
        assert w >= 0.9 * nw / SCALE, f"{chapter} at {width} px: a figure drawn {nw // SCALE} px wide is shown {w:.0f} px wide"
        assert abs(h / w - nh / nw) < 0.02 * nh / nw, f"{chapter} at {width} px: a figure is squeezed"
    hidden = page.evaluate("""cls => [...document.querySelectorAll('.bd-content img.' + cls)]
                              .filter(i => !i.getClientRects().length).map(i => i.src)""",
                           "ll-wide" if width == 390 else "ll-narrow")
    assert hidden, f"{chapter} at {width} px: no figure has a second rendering"
    assert not set(hidden) & set(requested), f"{chapter} at {width} px fetched renderings it does not show"


FIGURE_PX, PAGE_PX = 9, 12  # the smallest text allowed in a figure and on the page, CSS px


def check_text_is_at_least_9_px_in_figures_and_12_px_on_the_page(page, chapter, width):
    """Text in a figure: its smallest size in points (class ll-text-<pt>pt, from
    lectures_lib.plotting) x DPI/72 x the scale it is shown at (displayed width / natural
    width x SCALE) is at least FIGURE_PX: 9 CSS px is about 6.75 pt on paper, the least that print
    journals accept for figure lettering at its printed size. Text on the page (code, captions,
    buttons; not the script sizes inside typeset formulas, which TeX sets by design) is at least
    PAGE_PX, the smallest size common type scales use for body copy (the book's prose is 16 px)."""
    import re

    from lectures_lib.plotting import DPI, SCALE

    for f in page.evaluate(SHOWN_FIGURES):
        m = re.search(r"\bll-text-([\d.]+)pt\b", f["cls"])
        assert m, f"{chapter}: a figure ({f['src'][-30:]}) does not say how small its text is"
        px = float(m.group(1)) * DPI / 72 * f["shown"][0] / f["natural"][0] * SCALE
        assert px >= FIGURE_PX, f"{chapter} at {width} px: figure text {px:.1f} px ({f['src'][-30:]})"
    small = page.evaluate("""() => { const small = [];
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            const e = n.parentElement, range = document.createRange();
            if (!n.textContent.trim() || e.closest('mjx-container, script, style')) continue;
            range.selectNodeContents(n);
            if (!range.getClientRects().length || getComputedStyle(e).visibility === 'hidden') continue;
            const px = parseFloat(getComputedStyle(e).fontSize);
            if (px < %d) small.push(`${px} px: ${e.tagName}.${e.className} "${n.textContent.trim().slice(0, 40)}"`); }
        return small; }""" % PAGE_PX)
    assert small == [], f"{chapter} at {width} px: text below {PAGE_PX} px: {small[:5]}"


def check_code_and_tables_fit_or_scroll_in_a_focusable_region_at_390_px(page, chapter):
    """On a 390 px phone nothing pushes the page wider than the screen, and every code block
    (hidden cells shown), table or output either fits the column or scrolls inside a box that
    the keyboard reaches (tabindex 0) and that is named (role region, aria-label): nothing is
    cut at the column's edge. The axe check checks the same pages."""
    page.evaluate("() => document.querySelectorAll('.bd-content details').forEach(d => d.open = true)")
    page.wait_for_timeout(100)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, f"{chapter} is wider than the screen"
    cut = page.evaluate("""() => [...document.querySelectorAll('article pre, article table, .cell_output > .output')]
        .filter(e => e.getClientRects().length).flatMap(e => {
          const over = x => x.scrollWidth > x.clientWidth + 1 || x.getBoundingClientRect().right > 391;
          if (!over(e)) return [];
          for (let s = e; s && s.tagName !== 'ARTICLE'; s = s.parentElement) {
            const o = getComputedStyle(s).overflowX;
            if (o === 'auto' || o === 'scroll') {
              if (s.getBoundingClientRect().right > 391) break;
              const named = s.getAttribute('role') === 'region' && (s.getAttribute('aria-label') || '').trim();
              return s.getAttribute('tabindex') === '0' && named ? [] : [`${e.tagName} scrolls in a ${s.tagName} without tabindex 0, role and name`];
            }
          }
          return [`${e.tagName} "${e.textContent.trim().slice(0, 40)}" is cut at the column edge`]; })""")
    assert cut == [], f"{chapter}: {cut[:5]}"


def check_every_icon_is_drawn_without_the_icon_web_font(page, requested, chapter):
    """The theme's icons (fa-solid / fas on <i> or <span>) are inline SVG paths (ll-icons.js),
    and the admonitions' title icons SVG masks (ll-icons.css): no icon missing, none drawn from
    the theme's icon web font, which the page never fetches."""
    assert page.locator("i.fa-solid, i.fas, span.fa-solid, span.fas").count() == 0, "an icon was not drawn"
    for icon in page.locator("svg.svg-inline--fa").all():
        assert icon.locator("path").get_attribute("d"), "an icon has no path"
    glyphs = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => !(e instanceof SVGElement))
        .flatMap(e => ['::before', '::after'].map(p => [e, p, getComputedStyle(e, p)]))
        .filter(([e, p, s]) => /awesome/i.test(s.fontFamily) && !['none', 'normal', '""'].includes(s.content))
        .map(([e, p, s]) => `${e.tagName}.${e.className}${p} ${s.content}`)""")
    assert glyphs == [], f"{chapter}: drawn from the icon web font: {glyphs[:5]}"
    titles = page.locator(".admonition > .admonition-title")
    for k in range(titles.count()):
        after = titles.nth(k).evaluate("e => { const s = getComputedStyle(e, '::after'); "
                                       "return [s.content, s.maskImage || s.webkitMaskImage, s.width]; }")
        assert after[0] == '""' and after[1].startswith('url("data:image/svg+xml'), f"{chapter}: an admonition lost its icon: {after}"
    assert not [u for u in requested if "/webfonts/" in u], f"{chapter}: the icon web font was fetched"


def test_consecutive_prints_are_one_output(book):
    """nb_merge_streams: a cell's prints make one stream output, not one box per print."""
    import re

    for chapter in chapters():
        page = (book / f"{chapter}.html").read_text(encoding="utf8")
        assert not re.search(r'</pre></div>\s*</div>\s*<div class="output stream', page), \
            f"{chapter}: two stream outputs in a row"
