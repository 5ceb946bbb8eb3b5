"""Notebook hygiene (nbval re-executes them; this checks how they are stored).

Every code cell executed top to bottom in one fresh kernel, no stored error, no
machine path or address in an output, the same Colab/set-up first cell everywhere
(installing from the repository named in _config.yml), each chapter importing
dlnotes and showing a figure, and the table of contents matching book/.
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
