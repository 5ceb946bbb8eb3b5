"""Execute notebooks in a fresh kernel; print seconds against the budget.

    python -m benchmarks.notebooks [book/01_forward_backward.ipynb ...]
    python -m benchmarks.notebooks --seed 1 --seed 2 [NOTEBOOK ...]   (make claims)

Notebooks run as nbval runs them (a copy, nothing written back), on this
machine's cores; the budget is 90 s for a chapter on a 2-core CPU. With
``--seed S`` each notebook runs under ``DLNOTES_SEED=S`` (every cell's seed
shifted), outputs are not compared, and any failing cell (an assert that held
for seed 0 only) is reported with its error; the exit status is 1 if any failed.
"""
import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

BUDGET_S = 90.0


def run(path, env=None):
    """Execute one notebook; return (seconds, error text or None)."""
    nb = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.update(env or {})        # the kernel inherits this process's environment
    try:
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        try:
            client.execute()
            error = None
        except CellExecutionError as exc:
            error = str(exc).strip().splitlines()[-1]
        return time.perf_counter() - start, error
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.notebooks")
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--seed", type=int, action="append", default=None,
                        help="run under DLNOTES_SEED=SEED (repeatable)")
    args = parser.parse_args(argv)
    paths = ([pathlib.Path(p) for p in args.notebooks]
             or sorted(pathlib.Path("book").glob("*.ipynb")))
    seeds = args.seed or [None]
    failed = False
    print(f"{'notebook':<48} {'seed':>4} {'seconds':>8}  budget {BUDGET_S:.0f} s", flush=True)
    for seed in seeds:
        env = {} if seed is None else {"DLNOTES_SEED": str(seed)}
        for path in paths:
            seconds, error = run(path, env)
            flag = "ok" if seconds <= BUDGET_S else "OVER BUDGET"
            if error:
                flag = f"FAILED: {error}"
            failed |= bool(error) or (seed is None and seconds > BUDGET_S)
            shown = "-" if seed is None else seed
            print(f"{str(path):<48} {shown:>4} {seconds:8.1f}  {flag}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
