#!/usr/bin/env bash
# `make lowest`: check that pyproject.toml's lower bounds are honest.
#
# 1. Builds $LOWEST_VENV (default .venv-lowest) with the oldest Python that
#    requires-python admits and every dependency at its lower bound (each ">=X"
#    installed as "==X"; what they need in turn is whatever pip picks for them),
#    installs dlnotes from a wheel (not editable) and the test tools there.
# 2. Runs the unit tests and executes one notebook ($LOWEST_NB) top to bottom.
#    Left out: tests/test_notebooks.py (static checks of the notebooks' files) and
#    tests/test_install.py (pyproject's ranges; the wheel built with the
#    development environment's setuptools): they do not depend on the versions
#    checked here, and they need Python >= 3.11 (tomllib). Deselected: two
#    tests that compare with what newer torch names or offers (see SKIP below).
# 3. Replaces numpy by the newest release this Python admits (2.x), the other
#    packages staying at their lower bounds, and runs the unit tests again: a
#    lower bound whose build predates NumPy 2 fails here.
# Needs the network (PyPI) and 6 GB of disk (PyPI's torch is a CUDA build);
# about 20 minutes on a busy 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ENV=${LOWEST_VENV:-.venv-lowest}
NB=${LOWEST_NB:-book/05_lightweight.ipynb}
start=$SECONDS
say() { printf '\n== lowest [%ss]: %s\n' "$((SECONDS - start))" "$*"; }

# The oldest Python that requires-python admits, e.g. ">=3.10" -> python3.10.
pyver=$(sed -n 's/^requires-python *= *">= *\([0-9.]*\)".*/\1/p' pyproject.toml)
PY=${LOWEST_PYTHON:-python$pyver}
if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c pass 2>/dev/null; then
    if command -v pyenv >/dev/null && pyenv prefix "$pyver" >/dev/null 2>&1; then
        PY=$(pyenv prefix "$pyver")/bin/python$pyver
    else
        echo "lowest: needs Python $pyver (requires-python) and found none." >&2
        echo "  Install it (pyenv install $pyver, or your system's python$pyver" >&2
        echo "  package) or name one:" >&2
        echo "  make lowest LOWEST_PYTHON=/path/to/python$pyver" >&2
        exit 2
    fi
fi

say "virtual environment $ENV with $("$PY" -V)"
rm -rf "$ENV"
"$PY" -m venv "$ENV"
PIP=("$ENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip

# Every ">=X" of project.dependencies as "==X": pip has no lowest-version mode.
"$ENV/bin/python" - <<'EOF' > "$ENV/lowest.txt"
import re
text = open("pyproject.toml", encoding="utf-8").read()
block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
for dep in re.findall(r'"([^"]+)"', block):
    name, op, version = re.match(r"([A-Za-z0-9_.-]+)\s*(>=|==)?\s*(\S*)", dep).groups()
    if op != ">=":
        raise SystemExit(f"lowest: {dep!r} has no lower bound (>=)")
    print(f"{name}=={version}")
EOF
say "lower bounds: $(tr '\n' ' ' < "$ENV/lowest.txt")"

# The test tools at their newest for this Python (requirements.txt's pins may need
# a newer one), constrained so that they cannot lift a dependency above its bound.
tools="pytest nbval ipykernel nbconvert"
say "install the lower bounds, dlnotes (from a wheel) and $tools"
# dlnotes from a copy of its sources: a build in the tree would leave build/ there.
mkdir "$ENV/src"
cp -r pyproject.toml README.md dlnotes "$ENV/src/"
"${PIP[@]}" install -c "$ENV/lowest.txt" -r "$ENV/lowest.txt" "./$ENV/src" $tools 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
"${PIP[@]}" check
"${PIP[@]}" freeze > "$ENV/freeze.txt"
main='^(numpy|torch|matplotlib|scikit-learn|scipy|pandas|ipywidgets|tqdm)=='
say "installed: $(grep -iE "$main" "$ENV/freeze.txt" | tr '\n' ' ')"

# Tests of the test set-up or of parity with torch's newest API, not of dlnotes at
# these versions: the test suite itself needs torch >= 2.7 (requirements.txt).
# Node ids are relative to the root (--rootdir).
SKIP=(
  # torch 2.5's Adam has no decoupled_weight_decay, which dlnotes's Adam offers
  "tests/test_optim.py::test_defaults_match_torch"
  # torch 2.5 names the emulated kernels 'NO AVX' (newer torch: 'DEFAULT')
  "tests/test_emulation.py::test_emulated_machine_changes_a_trained_figure"
)
unit_tests() {
    printf 'deselected (newer torch only): %s\n' "${SKIP[@]}"
    # From tests/ and without putting the root on sys.path, so that `import
    # dlnotes` is the installed wheel, not ./dlnotes.
    (cd tests && "../$ENV/bin/python" -m pytest -q --import-mode=importlib \
        -c ../pytest.ini --rootdir .. --ignore test_notebooks.py \
        --ignore test_install.py "${SKIP[@]/#/--deselect=}" .)
}
(cd "${TMPDIR:-/tmp}" && "$OLDPWD/$ENV/bin/python" -c \
    "import dlnotes; print('dlnotes imported from', dlnotes.__file__)")
say "unit tests at the lower bounds"
unit_tests
say "execute $NB"
"$ENV/bin/python" -m jupyter nbconvert --to notebook --execute \
    --ExecutePreprocessor.timeout=600 --output-dir "$ENV/executed" "$NB"

say "numpy 2 beside the other lower bounds"
"${PIP[@]}" install -q --upgrade numpy
"$ENV/bin/python" -c "import numpy as np, torch
print('numpy', np.__version__, 'torch', torch.__version__, torch.from_numpy(np.ones(2)))"
unit_tests
say "passed: at the lower bounds the unit tests pass (numpy at its lower bound and \
at its newest for Python $pyver) and $NB runs"
