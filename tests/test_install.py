"""Installing dlnotes the way a notebook's first cell does on Colab: a wheel built
from the repository (not an editable install), put into a fresh virtual environment
outside the source tree, imported from elsewhere, and a chapter's first cells run
with it. No network: the wheel is built without build isolation and installed
without dependencies; those come from the environment running the tests (a .pth
line names its site-packages, whose own .pth files, the editable install of dlnotes
among them, are not processed). `make lowest` checks the lower bounds themselves."""
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CHAPTER = ROOT / "book" / "01_forward_backward.ipynb"

# What Colab's runtime ships: installing dlnotes there must keep each of these, not
# replace it. Python, torch, numpy and ipywidgets as measured for issue 18; the
# others as Colab's runtime listed them in 2025 (not measured here).
COLAB = {"python": "3.12", "torch": "2.8.0", "numpy": "2.0.2", "ipywidgets": "7.7.1",
         "matplotlib": "3.10.0", "scikit-learn": "1.6.1", "scikit-image": "0.25.2",
         "statsmodels": "0.14.5", "tqdm": "4.67.1"}
# The first release of each compiled dependency built against NumPy 2 (older ones
# fail to import, or torch.from_numpy fails, beside numpy 2.x; for torch that is
# 2.3, and 2.5 is the first whose F.channel_shuffle has a gradient, which chapter 5
# checks against), and tqdm's first release that stores ipywidgets 8 bars as
# widgets, not as raw JSON text.
OLDEST_THAT_WORKS = {"torch": "2.5", "matplotlib": "3.8.4", "scikit-learn": "1.4.2",
                     "scikit-image": "0.24", "statsmodels": "0.14.2", "tqdm": "4.64.1"}


def requirements():
    return {r.name: r for r in map(Requirement, PYPROJECT["project"]["dependencies"])}


def lower_bound(req):
    bounds = [Version(s.version) for s in req.specifier if s.operator == ">="]
    assert len(bounds) == 1, f"{req} needs exactly one lower bound (>=)"
    return bounds[0]


def test_every_dependency_has_one_lower_bound_and_no_cap_on_torch_or_numpy():
    for name, req in requirements().items():
        lower_bound(req)
        if name in ("torch", "numpy"):
            assert [s.operator for s in req.specifier] == [">="], req


def test_lower_bounds_work_beside_numpy_2():
    reqs = requirements()
    for name, oldest in OLDEST_THAT_WORKS.items():
        assert lower_bound(reqs[name]) >= Version(oldest), (
            f"{name} below {oldest} fails beside numpy 2, which numpy's range admits")


def test_colab_runtime_satisfies_every_range():
    """`pip install` on Colab replaces nothing Colab already has."""
    assert Version(COLAB["python"] + ".0") in SpecifierSet(
        PYPROJECT["project"]["requires-python"])
    reqs = requirements()
    for name, version in COLAB.items():
        if name != "python":
            assert Version(version) in reqs[name].specifier, (name, version)


def test_license_is_an_spdx_expression():
    assert PYPROJECT["project"]["license"] == "MIT"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """dlnotes's wheel, built from a copy of the sources (building in the tree
    would leave build/ and *.egg-info behind)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "dlnotes", src / "dlnotes",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for req in map(Requirement, PYPROJECT["build-system"]["requires"]):
        have = importlib.metadata.version(req.name)     # no isolation: ours builds
        assert req.specifier.contains(have), f"building needs {req}, found {have}"
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-index", "--no-build-isolation", "-q", "-w", str(out),
                           str(src)], capture_output=True, text=True, cwd=out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (path,) = out.glob("dlnotes-*.whl")
    return path


def test_wheel_holds_every_file_of_the_package_and_its_metadata(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {p.relative_to(ROOT).as_posix() for p in (ROOT / "dlnotes").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert package and package <= names, sorted(package - names)
    assert {n for n in names if not n.startswith("dlnotes-")} == package
    (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "License-Expression: MIT" in text
    requires = {Requirement(line.split(":", 1)[1].strip()).name
                for line in text.splitlines() if line.startswith("Requires-Dist:")}
    assert requires == set(requirements())


CELLS_SCRIPT = r"""
import json, sys
from IPython.core.interactiveshell import InteractiveShell
import dlnotes
print("dlnotes from", dlnotes.__file__)
shell = InteractiveShell.instance()
for source in json.load(open(sys.argv[1])):
    result = shell.run_cell(source)
    result.raise_error()
"""


def first_cells(path):
    """The set-up cell, the imports cell and the first cell that computes."""
    code = ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))
            ["cells"] if c["cell_type"] == "code"]
    computing = next(s for s in code if "dlnotes.seed(" in s)
    return code[:2] + [computing]


def test_wheel_in_a_fresh_venv_runs_a_chapters_first_cells(wheel, tmp_path):
    env_dir = tmp_path / "colab-like"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(MPLBACKEND="Agg", PIP_NO_INDEX="1")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python),
                           "install", "--no-deps", "--no-index", "-q", str(wheel)],
                          capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                           "'purelib'))"], check=True, capture_output=True,
                          text=True).stdout.strip()
    # the dependencies: this environment's site-packages, as a plain path
    (Path(site) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    cells = tmp_path / "cells.json"
    cells.write_text(json.dumps(first_cells(CHAPTER)))
    (tmp_path / "run.py").write_text(CELLS_SCRIPT)
    done = subprocess.run([python, "-I", "run.py", str(cells)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    where = re.search(r"dlnotes from (.+)", done.stdout).group(1)
    assert Path(where).is_relative_to(env_dir), where   # the wheel, not ./dlnotes
    assert not Path(where).is_relative_to(ROOT)
    assert "features: 3072" in done.stdout, done.stdout
