"""Execute every notebook under book/ in a fresh kernel; print seconds vs the budget.

    python -m benchmarks.notebooks [book/01_forward_backward.ipynb ...]

Notebooks run as nbval runs them (a copy, nothing written back), on this
machine's cores; the budget is 90 s for a chapter on a 2-core CPU.
"""
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

BUDGET_S = 90.0


def run(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv):
    paths = [pathlib.Path(p) for p in argv] or sorted(pathlib.Path("book").glob("*.ipynb"))
    worst = 0.0
    print(f"{'notebook':<48} {'seconds':>8}  budget {BUDGET_S:.0f} s")
    for path in paths:
        seconds = run(path)
        worst = max(worst, seconds)
        flag = "ok" if seconds <= BUDGET_S else "OVER BUDGET"
        print(f"{str(path):<48} {seconds:8.1f}  {flag}", flush=True)
    return 0 if worst <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
