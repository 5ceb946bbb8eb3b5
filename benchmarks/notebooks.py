"""Execute notebooks in a fresh kernel; print seconds against the budget.

    python -m benchmarks.notebooks [book/01_forward_backward.ipynb ...]
    python -m benchmarks.notebooks --seed 1 --seed 2 [NOTEBOOK ...]   (make claims)
    python -m benchmarks.notebooks --busy [NOTEBOOK ...]

Notebooks run as nbval runs them (a copy, nothing written back), on this
machine's cores; the budget is 90 s for a chapter on a 2-core CPU. With
``--seed S`` each notebook runs under ``DLNOTES_SEED=S`` (every cell's seed
shifted), outputs are not compared, and any failing cell (an assert that held
for seed 0 only) is reported with its error; the exit status is 1 if any failed.
With ``--busy`` each notebook runs twice, once on the machine as it is and once
beside one CPU-bound process that the runner starts and stops itself (a reader's
browser, Colab's shared vCPUs); a notebook must stay under the budget idle and
under BUSY_FACTOR times its idle time busy.
"""
import argparse
import multiprocessing
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

BUDGET_S = 90.0
BUSY_FACTOR = 1.5


def _spin(stop):
    """One core's worth of pure-Python work until told to stop."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


class Competitor:
    """A CPU-bound process beside the notebook, started and stopped here."""

    def __enter__(self):
        self.stop = multiprocessing.Event()
        self.proc = multiprocessing.Process(target=_spin, args=(self.stop,), daemon=True)
        self.proc.start()
        time.sleep(1.0)                 # let it take its core
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.terminate()


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
    parser.add_argument("--busy", action="store_true",
                        help="also run each notebook beside a CPU-bound process")
    args = parser.parse_args(argv)
    paths = ([pathlib.Path(p) for p in args.notebooks]
             or sorted(pathlib.Path("book").glob("*.ipynb")))
    if args.busy:
        return busy(paths)
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


def busy(paths):
    """Each notebook idle, then beside a competitor; budget: 90 s and 1.5x idle."""
    failed = False
    print(f"load at start {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; budget "
          f"{BUDGET_S:.0f} s idle, {BUSY_FACTOR}x idle when busy", flush=True)
    print(f"{'notebook':<48} {'idle s':>7} {'busy s':>7} {'ratio':>6}", flush=True)
    for path in paths:
        idle, error = run(path)
        if not error:
            with Competitor():
                loaded, error = run(path)
        if error:
            print(f"{str(path):<48} FAILED: {error}", flush=True)
            failed = True
            continue
        ok = idle <= BUDGET_S and loaded <= BUSY_FACTOR * idle
        failed |= not ok
        print(f"{str(path):<48} {idle:7.1f} {loaded:7.1f} {loaded / idle:5.2f}x  "
              f"{'ok' if ok else 'OVER BUDGET'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
