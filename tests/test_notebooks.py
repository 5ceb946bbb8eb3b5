"""Notebook hygiene (nbval re-executes them; this checks how they are stored).

Every code cell executed top to bottom in one fresh kernel, no stored error, no
machine path or address in an output, the same Colab/set-up first cell everywhere
(installing from the repository named in _config.yml), each chapter importing
dlnotes and showing a figure, and the table of contents matching book/. Then the
conventions that keep outputs true on every machine (CONTRIBUTING.md): measured
numbers carry the marker, each random cell seeds itself, and every exercise has
a solution cell that the suite executes and that asserts its answer.
"""
import json
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
CHAPTERS = [p for p in NOTEBOOKS if re.match(r"0[1-9]_", p.name)]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"]

FIRST_CELL = f'''\
# Set-up. On Colab: install dlnotes from the book's repository.
# Everywhere: seed every generator and fix the thread count.
import sys
if "google.colab" in sys.modules:
    %pip install -q "dlnotes @ git+{REPO_URL}"
import dlnotes
dlnotes.setup()'''

MACHINE_TEXT = re.compile(r"(/root/|/home/\w+|/tmp/|/work/|site-packages|"
                          r"at 0x[0-9a-fA-F]{6,})")


def code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def src(cell):
    return "".join(cell["source"])


def text_of(output):
    parts = [output.get("text", "")]
    parts += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
    return "".join("".join(p) if isinstance(p, list) else p for p in parts)


def ids(paths):
    return [p.name for p in paths]


def test_there_are_notebooks():
    assert (BOOK / "00_intro.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_executed_top_to_bottom_in_one_kernel(path):
    counts = [c["execution_count"] for c in code_cells(path) if src(c).strip()]
    assert None not in counts, f"{path.name}: a code cell was never executed"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..n: re-run it with "
        "`make notebooks NB={path}`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_no_error_and_no_machine_text(path):
    for i, cell in enumerate(code_cells(path), 1):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"{path.name}: cell {i} stored an error"
            if "NBVAL_IGNORE_OUTPUT" not in src(cell):
                found = MACHINE_TEXT.search(text_of(out))
                assert not found, f"{path.name}: cell {i} output shows {found.group()!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_first_cell_is_the_setup_cell(path):
    assert src(code_cells(path)[0]) == FIRST_CELL


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_chapter_imports_dlnotes_and_has_a_figure(path):
    cells = code_cells(path)
    assert any(re.search(r"from dlnotes import|import dlnotes\.", src(c)) for c in cells)
    assert any("image/png" in out.get("data", {}) for c in cells for out in c["outputs"])


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [ch["file"] for ch in part["chapters"]]
    return files


def test_toc_lists_every_page_of_the_book_and_nothing_else():
    pages = {str(p.relative_to(ROOT).with_suffix("")) for p in BOOK.iterdir()
             if p.suffix in (".ipynb", ".md")}
    assert sorted(toc_files()) == sorted(pages)


def test_glossary_defines_each_term_once():
    text = (BOOK / "appendix_c_glossary.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\{glossary\}\n(.*?)```", text, flags=re.S)
    terms = [line.strip() for b in blocks for line in b.splitlines()
             if line.strip() and not line.startswith((" ", "\t"))]
    assert terms and len(terms) == len(set(terms))
    assert all(re.search(r"\([^)]*[\u4e00-\u9fff][^)]*\)", t) for t in terms), (
        "every glossary term gives its Chinese name in parentheses")


def test_pyproject_never_pins_torch_or_numpy():
    import tomllib
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        if re.match(r"(torch|numpy)\b", dep):
            assert "==" not in dep and "<" not in dep, dep


def markdown_and_code(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] in ("markdown", "code")]


TRAINS = re.compile(r"\bfit\(|\.step\(")
BOUND = re.compile(r"[<>]=? ?[-+]?\d+\.\d+")       # an asserted bound is exact
BARE_FLOAT = re.compile(r"(?<![~\w.])(?<!~[-+])\d+\.\d+")   # ~-1.5 is marked


def printed_text(cell):
    return "".join(text_of(out) for out in cell["outputs"]
                   if out["output_type"] in ("stream", "execute_result"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_trained_numbers_carry_the_marker(path):
    """A cell that trains prints its measured floats after `~` (or says `# exact output`)."""
    for i, cell in enumerate(code_cells(path), 1):
        if not TRAINS.search(src(cell)) or "# exact output" in src(cell):
            continue
        text = BOUND.sub("", printed_text(cell))
        found = BARE_FLOAT.search(text)
        assert not found, (
            f"{path.name}: code cell {i} trains and prints {found.group()!r} without the "
            "measured-number marker `~` (CONTRIBUTING.md, two kinds of printed numbers)")


GLOBAL_DRAW = re.compile(r"np\.random\.(?!default_rng|Generator|SeedSequence)\w+\(")
TORCH_DRAW = re.compile(r"torch\.(rand|randn|randint|randperm|normal|bernoulli|"
                        r"multinomial)\(")
SEEDS = re.compile(r"dlnotes\.seed\(|torch\.manual_seed\(|default_rng\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_each_random_cell_makes_its_own_generator(path):
    for i, cell in enumerate(code_cells(path), 1):
        code = src(cell)
        assert not GLOBAL_DRAW.search(code), (
            f"{path.name}: code cell {i} draws from np.random's global generator; "
            "start the cell with rng = dlnotes.seed(<its own number>)")
        if re.search(r"\brng\.", code):
            assert re.search(r"\brng = ", code), (
                f"{path.name}: code cell {i} uses an rng it did not create")
        if TORCH_DRAW.search(code):
            assert SEEDS.search(code), (
                f"{path.name}: code cell {i} draws torch random numbers without seeding "
                "(dlnotes.seed(<its own number>))")


def exercises(path):
    """[(number, [solution code cells])] from the notebook's '## Exercises' section."""
    cells = markdown_and_code(path)
    starts = [i for i, c in enumerate(cells)
              if c["cell_type"] == "markdown" and re.match(r"## Exercises\b", src(c))]
    if not starts:
        return None
    found = []
    for cell in cells[starts[0] + 1:]:
        head = re.match(r"\*\*Exercise (\d+)\.\*\*", src(cell))
        if cell["cell_type"] == "markdown" and head:
            found.append((int(head.group(1)), []))
        elif cell["cell_type"] == "code":
            assert found, f"{path.name}: a code cell comes before the first exercise"
            found[-1][1].append(cell)
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_exercises_have_solutions_the_suite_executes(path):
    found = exercises(path)
    assert found is not None, f"{path.name}: no '## Exercises' section"
    numbers = [n for n, _ in found]
    assert 3 <= len(numbers) <= 6 and numbers == list(range(1, len(numbers) + 1)), (
        f"{path.name}: expected exercises numbered 1..n with 3 <= n <= 6, got {numbers}")
    for n, solutions in found:
        assert solutions, f"{path.name}: exercise {n} has no solution cell"
        for cell in solutions:
            assert "hide-cell" in cell["metadata"].get("tags", []), (
                f"{path.name}: exercise {n}'s solution cell is not tagged hide-cell")
        assert any(re.search(r"\bassert\b|np\.testing\.", src(c)) for c in solutions), (
            f"{path.name}: exercise {n}'s solution asserts nothing")


# Reading width. At a 1280-px window (scroll bar shown) the book's code column holds
# 94 characters of its 13-px code font (_static/dlnotes.css; `make check-browser`
# measures it and fails on any code block that scrolls sideways). Code shown in the
# book, a notebook's cells and the package code they list with
# `Code(inspect.getsource(...))`, must fit in it. The style limits are tighter (80
# columns in notebooks, 88 in the package, CONTRIBUTING.md); this is the hard one.
CODE_COLUMN = 93
LISTING = re.compile(r'<div class="highlight"><pre>(.*?)</pre>', flags=re.S)


def too_long(text, limit=CODE_COLUMN):
    return [(n, len(line)) for n, line in enumerate(text.splitlines(), 1)
            if len(line) > limit]


def listings(cell):
    """The code a cell's outputs show as a highlighted listing (IPython.display.Code)."""
    import html
    shown = []
    for out in cell["outputs"]:
        page = out.get("data", {}).get("text/html", "")
        page = "".join(page) if isinstance(page, list) else page
        shown += [html.unescape(re.sub(r"<[^>]+>", "", block))
                  for block in LISTING.findall(page)]
    return shown


def test_line_checkers_find_a_long_line():
    limit = CODE_COLUMN
    assert too_long("x = 1\n" + "y" * (limit + 1)) == [(2, limit + 1)]
    assert too_long("y" * limit) == []
    row = '<span class="n">' + "z" * limit + '</span>&lt;'
    cell = {"outputs": [{"data": {"text/html": f'<style>pre {{}}</style>'
                                               f'<div class="highlight"><pre>{row}\n</pre>'}}]}
    assert listings(cell) == ["z" * limit + "<\n"]
    assert too_long(listings(cell)[0]) == [(1, limit + 1)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_code_shown_fits_the_code_column(path):
    for i, cell in enumerate(code_cells(path), 1):
        long = too_long(src(cell))
        assert not long, (f"{path.name}: cell {i} has lines (line, length) {long} "
                          f"longer than the code column ({CODE_COLUMN})")
        for listing in listings(cell):
            long = too_long(listing)
            assert not long, (f"{path.name}: cell {i} lists code with lines (line, length) "
                              f"{long} longer than the code column ({CODE_COLUMN})")
