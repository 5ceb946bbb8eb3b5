"""The built site is self-contained and complete (issue: a book that works offline).

The book is built once per session (jupyter-book, from the stored outputs, into a
temporary folder), then every page is read: each script, style sheet, font, icon and
image it loads (`<script src>`, `<link href>`, `<img src>` and the like, `url(...)`
in its local CSS and `<style>` blocks) must be a file inside the build, never an
external URL (links a reader clicks, `<a href>`, may go anywhere); each glossary-term
link must reach an entry of the glossary; each chapter page must show every figure
its notebook stores. The checkers are plain functions, tested first on seeded pages
so that each is known to fail when it should. `make check-browser` checks the same
pages in a real browser (tools/check_browser.py).
"""
import base64
import functools
import hashlib
import html.parser
import json
import pathlib
import posixpath
import re
import subprocess
import sys
import time
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
# elements and attributes whose URL the browser fetches on its own
LOADED = {"script": "src", "link": "href", "img": "src", "source": "src",
          "iframe": "src", "embed": "src", "video": "src", "audio": "src",
          "object": "data", "input": "src"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+(['"])([^'"]+)\1""")
HIDDEN_OUTPUT_TAGS = {"remove-output", "remove-cell"}


class Page(html.parser.HTMLParser):
    """What one HTML page loads, the ids it defines and its glossary-term links."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.loaded, self.ids, self.term_links, self.styles = [], set(), [], []
        self._a_href, self._in_style = None, False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag in LOADED and attrs.get(LOADED[tag]):
            self.loaded.append((tag, attrs[LOADED[tag]]))
        if tag in ("img", "source") and attrs.get("srcset"):
            self.loaded += [(tag, s.split()[0]) for s in attrs["srcset"].split(",")]
        if attrs.get("style"):
            self.styles.append(attrs["style"])
        if tag == "a":
            self._a_href = attrs.get("href")
        if tag == "span" and "std-term" in attrs.get("class", "").split():
            self.term_links.append(self._a_href)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "a":
            self._a_href = None
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def css_urls(text):
    """The URLs a style sheet (or a <style> block) loads: url(...) and @import."""
    return [m.group(2) for m in CSS_URL.finditer(text)] + \
           [m.group(2) for m in CSS_IMPORT.finditer(text)]


def resolve(url, base_dir, root):
    """Problem with a URL loaded from a file in base_dir, or None if it is a local file."""
    if url.startswith(("data:", "#")) or not url.strip():
        return None
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme or url.startswith("//"):
        return f"loads an external URL: {url}"
    path = urllib.parse.unquote(parsed.path)
    if not path:
        return None
    target = pathlib.Path(posixpath.normpath((base_dir / path).as_posix()))
    if root.resolve() not in target.resolve().parents:
        return f"loads a file outside the build: {url}"
    if not target.is_file():
        return f"loads a missing file: {url}"
    return None


def page_problems(page_path, root):
    """Everything page_path loads that is external or missing, with its CSS's fonts."""
    page = Page(page_path.read_text(encoding="utf-8"))
    problems = [f"<{tag}> {p}" for tag, url in page.loaded
                if (p := resolve(url, page_path.parent, root))]
    problems += [f"<style> {p}" for style in page.styles for url in css_urls(style)
                 if (p := resolve(url, page_path.parent, root))]
    return problems


def css_problems(css_path, root):
    return [f"{css_path.relative_to(root)}: {p}" for url in css_urls(
            css_path.read_text(encoding="utf-8", errors="replace"))
            if (p := resolve(url, css_path.parent, root))]


@functools.lru_cache(maxsize=None)
def ids_of(path):
    return Page(path.read_text(encoding="utf-8")).ids


def term_link_problems(page_path, root):
    """Glossary-term links of a page that do not reach an entry (an id) of a page."""
    problems = []
    for href in Page(page_path.read_text(encoding="utf-8")).term_links:
        if not href or "#" not in href:
            problems.append(f"term link without an anchor: {href!r}")
            continue
        path, anchor = href.split("#", 1)
        target = (page_path.parent / path).resolve() if path else page_path
        if not target.is_file():
            problems.append(f"term link to a missing page: {href}")
        elif not anchor.startswith("term-") or anchor not in ids_of(target):
            problems.append(f"term link to no glossary entry: {href}")
    return problems


def stored_figures(notebook):
    """The PNGs a notebook's shown outputs store (cells tagged remove-* excluded)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    pngs = []
    for cell in nb["cells"]:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or tags & HIDDEN_OUTPUT_TAGS:
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get("image/png")
            if data:
                pngs.append(base64.b64decode("".join(data)))
    return pngs


def missing_figures(notebook, page_path, root):
    """How many of the notebook's stored PNGs no <img> of its page shows."""
    shown = set()
    for tag, url in Page(page_path.read_text(encoding="utf-8")).loaded:
        target = page_path.parent / urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        if tag == "img" and target.is_file():
            shown.add(hashlib.sha256(target.read_bytes()).hexdigest())
    return sum(hashlib.sha256(png).hexdigest() not in shown
               for png in stored_figures(notebook))


def pages_of(root):
    """The pages of a build (the theme's template fragments in _static are not pages)."""
    return sorted(p for p in root.rglob("*.html")
                  if p.relative_to(root).parts[0] not in ("_static", "_sources"))


# --- the checkers fail on seeded violations -------------------------------------

PNG = base64.b64decode(  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


@pytest.fixture
def site(tmp_path):
    (tmp_path / "_static" / "fonts").mkdir(parents=True)
    (tmp_path / "_static" / "fonts" / "a.woff2").write_bytes(b"font")
    (tmp_path / "_static" / "ok.js").write_text("")
    (tmp_path / "_static" / "fig.png").write_bytes(PNG)
    (tmp_path / "_static" / "ok.css").write_text(
        "@font-face { src: url('fonts/a.woff2?v=1') format('woff2'); }\n"
        ".x { background: url(data:image/png;base64,AAAA); filter: url(#f); }")
    (tmp_path / "glossary.html").write_text('<dl><dt id="term-tensor">tensor</dt></dl>')
    return tmp_path


def write_page(site, body):
    page = site / "page.html"
    page.write_text(f"<html><head></head><body>{body}</body></html>")
    return page


def test_checker_passes_a_clean_page(site):
    page = write_page(site, '<script src="_static/ok.js?v=3"></script>'
                      '<link rel="stylesheet" href="_static/ok.css">'
                      '<img src="_static/fig.png"><a href="https://example.org">out</a>'
                      '<a href="glossary.html#term-tensor">'
                      '<span class="xref std std-term">tensor</span></a>')
    assert page_problems(page, site) == []
    assert css_problems(site / "_static" / "ok.css", site) == []
    assert term_link_problems(page, site) == []


@pytest.mark.parametrize("body, expected", [
    ('<script src="https://cdn.example.org/mathjax.js"></script>', "external URL"),
    ('<script src="//cdn.example.org/require.js"></script>', "external URL"),
    ('<link rel="stylesheet" href="http://cdn.example.org/fa.css">', "external URL"),
    ('<link rel="preload" href="_static/fonts/gone.woff2">', "missing file"),
    ('<img src="_static/nothing.png">', "missing file"),
    ('<img src="../../../etc/hostname">', "outside the build"),
    ("<style>@font-face { src: url(https://fonts.example.org/x.woff2) }</style>",
     "external URL"),
    ('<div style="background: url(_static/missing.svg)"></div>', "missing file"),
])
def test_checker_finds_a_seeded_external_or_missing_resource(site, body, expected):
    problems = page_problems(write_page(site, body), site)
    assert len(problems) == 1 and expected in problems[0], problems


def test_checker_finds_a_css_font_that_is_missing_or_external(site):
    css = site / "_static" / "bad.css"
    css.write_text("@font-face { src: url(fonts/gone.woff2) }\n"
                   "@import 'https://fonts.example.org/css';")
    problems = css_problems(css, site)
    assert len(problems) == 2, problems
    assert "missing file" in problems[0] and "external URL" in problems[1]


@pytest.mark.parametrize("href", ["glossary.html#term-tenser", "glossary.html",
                                  "nowhere.html#term-tensor"])
def test_checker_finds_a_term_link_without_a_glossary_entry(site, href):
    page = write_page(site, f'<a href="{href}"><span class="xref std std-term">x</span></a>')
    assert len(term_link_problems(page, site)) == 1


def test_checker_finds_a_figure_missing_from_its_page(site, tmp_path):
    nb = tmp_path / "nb.ipynb"
    out = {"output_type": "display_data", "metadata": {},
           "data": {"image/png": base64.b64encode(PNG).decode()}}
    cells = [{"cell_type": "code", "metadata": {}, "source": "", "outputs": [out],
              "execution_count": 1},
             {"cell_type": "code", "metadata": {"tags": ["remove-output"]}, "source": "",
              "outputs": [out], "execution_count": 2}]
    nb.write_text(json.dumps({"cells": cells, "metadata": {}}))
    assert missing_figures(nb, write_page(site, '<img src="_static/fig.png">'), site) == 0
    assert missing_figures(nb, write_page(site, "<p>no figure</p>"), site) == 1


def test_a_stored_progress_bar_renders_as_html_and_an_unknown_widget_fails():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import offline_site
    finally:
        sys.path.remove(str(ROOT / "tools"))

    def model(name, **state):
        return {"model_name": name, "state": state}
    state = {"box": model("HBoxModel", children=["IPY_MODEL_a", "IPY_MODEL_b", "IPY_MODEL_c"],
                          layout="IPY_MODEL_lay"),
             "lay": model("LayoutModel", visibility="hidden", width=None),
             "a": model("HTMLModel", value="fit:\u2007 50%"),
             "b": model("FloatProgressModel", min=0.0, max=60.0, value=30.0,
                        bar_style="danger", description="", style="IPY_MODEL_st"),
             "st": model("ProgressStyleModel", bar_color=None),
             "c": model("HTMLModel", value="30/60 [00:01&lt;00:01]"),
             "btn": model("ButtonModel", description="go")}
    out = offline_site.render_widget("IPY_MODEL_box", state)
    assert out.startswith('<div class="nbwidget nbwidget-hbox" style="visibility: hidden;">')
    assert "fit:\u2007 50%" in out and "30/60 [00:01&lt;00:01]" in out
    assert 'nbwidget-danger' in out and 'style="width: 50.0%;"' in out
    for bad in ("btn", "nowhere"):
        with pytest.raises(offline_site.WidgetError):
            offline_site.render_widget(bad, state)


# --- the built book ---------------------------------------------------------------

@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """Build the book once, as `make book` does (a Sphinx warning fails it), from the
    stored outputs into a temporary folder (about 20 s). CI runs `make test` only, so
    this is also what keeps `make book` green there."""
    out = tmp_path_factory.mktemp("site")
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    start = time.perf_counter()
    run = subprocess.run([str(jb), "build", str(ROOT), "--all", "--warningiserror",
                          "--keep-going", "--path-output", str(out)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    print(f"book built in {time.perf_counter() - start:.1f} s")
    return out / "_build" / "html"


def test_the_build_has_every_page(build):
    names = {p.relative_to(build).as_posix() for p in pages_of(build)}
    expected = {f"book/{p.stem}.html" for p in BOOK.glob("*.ipynb")}
    assert expected <= names, expected - names


def test_no_page_loads_anything_external_or_missing(build):
    problems = [f"{p.relative_to(build)}: {x}" for p in pages_of(build)
                for x in page_problems(p, build)]
    problems += [x for css in sorted(build.glob("_static/**/*.css"))
                 for x in css_problems(css, build)]
    assert not problems, "\n".join(problems[:40])


def test_math_and_its_fonts_are_served_from_the_build(build):
    loaded = [url for _, url in Page((build / "book" / "01_forward_backward.html")
                                     .read_text(encoding="utf-8")).loaded]
    assert any("vendor/mathjax/tex-chtml-full.js" in url for url in loaded), loaded
    fonts = list((build / "_static" / "vendor" / "mathjax").rglob("*.woff"))
    assert len(fonts) > 10, "MathJax's CommonHTML fonts are not in the build"


def test_progress_bars_are_plain_html(build):
    text = (build / "book" / "01_forward_backward.html").read_text(encoding="utf-8")
    assert "nbwidget-progress" in text
    assert "application/vnd.jupyter.widget" not in text, "a widget was left to scripts"


def test_every_term_link_reaches_a_glossary_entry(build):
    pages = pages_of(build)
    links = sum(len(Page(p.read_text(encoding="utf-8")).term_links) for p in pages)
    problems = [f"{p.relative_to(build)}: {x}" for p in pages
                for x in term_link_problems(p, build)]
    assert not problems, "\n".join(problems[:40])
    assert links > 0, "no page links a glossary term"


@pytest.mark.parametrize("notebook", sorted(BOOK.glob("*.ipynb")), ids=lambda p: p.name)
def test_every_stored_figure_is_on_its_page(build, notebook):
    page = build / "book" / f"{notebook.stem}.html"
    n = len(stored_figures(notebook))
    missing = missing_figures(notebook, page, build)
    assert missing == 0, f"{notebook.name}: {missing} of {n} stored figures not on its page"
