"""The similarity report as one self-contained HTML page (no script, nothing fetched): per part the
most alike pairs and the submissions closest to each reference or public source, then the
matching fragments side by side, highlighted with ``<mark>``. Everything a student wrote (names
of folders included) is escaped."""
from __future__ import annotations

import itertools
from html import escape

from .similarity import ALL

TOP = 25  # rows of each table (the CSV has them all)
SHOWN_PAIRS = 5  # pairs of each part shown with their fragments
SHOWN_SOURCE = 3  # submissions shown with their fragments, for each source

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; color: #111; background: #fff; margin: 1rem auto; max-width: 90rem; padding: 0 1rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
caption { text-align: left; font-weight: bold; padding: .25rem 0; }
th, td { border: 1px solid #888; padding: .2rem .6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.side figure { margin: 0; min-width: 0; }
pre { background: #f4f4f4; border: 1px solid #888; padding: .5rem; overflow-x: auto; font-size: 14px; }
mark { background: #ffd54f; color: #000; }
"""


def render(assignment, n_students, pairs, sources, missing, notes, k) -> str:
    """The page; ``pairs`` and ``sources`` as ``similarity.write`` sorted them, ``notes`` (part,
    what was not compared, or not in full)."""
    by_part = {p: list(g) for p, g in itertools.groupby(pairs, key=lambda m: m.part)}
    parts = list(missing)
    body = [f"<h1>Similarity report: {escape(assignment)}</h1>", _intro(n_students, k), "<nav><h2>Contents</h2><ul>"]
    body += [f'<li><a href="#part-{i}">Part {escape(p)}</a></li>' for i, p in enumerate(parts)]
    body += ["</ul></nav>", "<h2>Over all parts</h2>", _pair_table(by_part.get(ALL, []), "all", None)]
    for i, part in enumerate(parts):
        body.append(_part(i, part, by_part.get(part, []), [s for s in sources if s[2].part == part], missing[part],
                          [n for p, n in notes if p == part]))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Similarity: {escape(assignment)}</title><style>{STYLE}</style></head>\n<body><main>\n"
            + "\n".join(body) + "\n</main></body></html>\n")


def _intro(n_students, k):
    return (f"<p>{n_students} submissions. This report flags code for you to read; it never changes a score, "
            "and a high similarity is not proof of copying (short, well-known methods look alike).</p>"
            "<p>Each solution cell is compared with the same cell of every other submission, and with the "
            "course's reference and public implementations of the part. Fingerprints are copydetect's: every "
            "name becomes one letter and comments and whitespace are dropped, so renaming and re-commenting "
            f"change nothing; a match is at least {k} such characters long; what the released notebook gives "
            "every student is ignored. A pair's similarity is the matched share of both cells together; a "
            "submission's similarity to a source is the share of the submission found in it. The CSV beside "
            "this page holds every comparison.</p>")


def _part(i, part, pairs, sources, missing, notes):
    out = [f'<section id="part-{i}"><h2>Part {escape(part)}</h2>']
    out += [f"<p>Note: {escape(n)}.</p>" for n in notes]
    if missing:
        out.append(f"<p>No solution cell for this part in: {escape(', '.join(missing))}.</p>")
    out.append(_pair_table(pairs, f"p{i}", f"Most alike pairs, part {part}"))
    for title, group in itertools.groupby(sources, key=lambda s: s[2].b.owner):
        group = list(group)
        out.append(_source_table(group, f"p{i}-{_slug(title)}", title))
    out.append("<h3>Matching fragments</h3>")
    out += [_fragments(m, f"p{i}-{r}", f"{m.a.owner} and {m.b.owner}", m.similarity)
            for r, m in enumerate(pairs[:SHOWN_PAIRS], 1) if m.similarity > 0]
    for title, group in itertools.groupby(sources, key=lambda s: s[2].b.owner):
        out += [_fragments(m, f"p{i}-{_slug(title)}-{r}", f"{m.a.owner} and {title}", m.share_a)
                for r, (_, _, m) in enumerate(list(group)[:SHOWN_SOURCE], 1) if m.share_a > 0]
    return "\n".join(out) + "</section>"


def _pair_table(pairs, anchor, caption):
    head = ["rank", "student", "student", "similarity", "share of the first", "share of the second"]
    rows = []
    for r, m in enumerate(pairs[:TOP], 1):
        link = f'<a href="#{anchor}-{r}">{r}</a>' if caption and r <= SHOWN_PAIRS and m.similarity > 0 else str(r)
        rows.append([link, escape(m.a.owner), escape(m.b.owner), _pc(m.similarity), _pc(m.share_a), _pc(m.share_b)])
    return _table(caption or "Most alike pairs, all parts", head, rows, len(pairs))


def _source_table(group, anchor, title):
    where = group[0][1]
    head = ["rank", "student", f"share found in {escape(title)}"]
    rows = []
    for r, (_, _, m) in enumerate(group[:TOP], 1):
        link = f'<a href="#{anchor}-{r}">{r}</a>' if r <= SHOWN_SOURCE and m.share_a > 0 else str(r)
        rows.append([link, escape(m.a.owner), _pc(m.share_a)])
    return _table(f"Closest to {title} ({where})", head, rows, len(group))


def _table(caption, head, rows, total):
    more = f" (the first {len(rows)} of {total})" if total > len(rows) else ""
    out = [f"<table><caption>{escape(caption)}{more}</caption><thead><tr>"]
    out += [f'<th scope="col">{h}</th>' for h in head] + ["</tr></thead><tbody>"]
    for row in rows:  # the rank and the percentages align right
        cells = [f'<td class="n">{c}</td>' if j == 0 or h.startswith(("similarity", "share")) else f"<td>{c}</td>"
                 for j, (h, c) in enumerate(zip(head, row))]
        out.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        out.append(f'<tr><td colspan="{len(head)}">nothing to compare</td></tr>')
    return "".join(out) + "</tbody></table>"


def _fragments(m, anchor, title, value):
    """The two pieces of code side by side, their matching fragments marked."""
    from copydetect.utils import highlight_overlap

    sides = []
    for code, slices in zip((m.a, m.b), m.slices):
        marked, _ = highlight_overlap(code.text, slices, "<mark>", "</mark>", escape_html=True)
        sides.append(f"<figure><figcaption>{escape(code.owner)}</figcaption><pre><code>{marked}</code></pre></figure>")
    return f'<section id="{anchor}"><h4>{escape(title)}: {_pc(value)}</h4><div class="side">{"".join(sides)}</div></section>'


def _pc(x):
    return f"{100 * x:.0f}%"


def _slug(title):
    return "".join(c if c.isalnum() else "-" for c in title)
