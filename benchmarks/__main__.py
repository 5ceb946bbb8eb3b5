"""Print ours / torch time ratios for every case of every benchmarks/bench_*.py.

Each case is timed in alternation (ours, torch, ours, torch, ...) over several
rounds; a line gives each side's best time, the ratio of the two, and the range
of the per-round ratios. A range wider than TRUST_SPREAD is flagged: the machine
was too busy for that figure (run again, or with --threads 1).
"""
import argparse
import importlib
import os
import pathlib

import dlnotes  # noqa: F401  (first: the book's OpenMP wait policy, set before torch)
import torch
from threadpoolctl import threadpool_limits

from . import TRUST_SPREAD, compare


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for torch and BLAS (default 1, as in the book)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    parser.add_argument("-k", default="", help="run only cases whose name contains this")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)
    here = pathlib.Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    print(f"threads={args.threads}  torch {torch.__version__}  rounds={args.rounds}  "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{'case':<52} {'ours ms':>9} {'torch ms':>9} {'ratio':>7}  per-round range")
    untrusted = 0
    for name in modules:
        module = importlib.import_module(f"benchmarks.{name}")
        for case, ours, theirs in module.cases():
            if args.k not in case:
                continue
            c = compare(ours, theirs, rounds=args.rounds)
            note = "" if c.trusted else "  TOO NOISY to trust"
            untrusted += not c.trusted
            print(f"{case:<52} {1e3 * c.ours:9.3f} {1e3 * c.theirs:9.3f} "
                  f"{c.ratio:6.2f}x  {c.low:.2f}-{c.high:.2f}{note}", flush=True)
    if untrusted:
        print(f"{untrusted} case(s) spread more than {TRUST_SPREAD:.0%} between rounds: "
              "the machine was busy; their ratios are not to be trusted")


if __name__ == "__main__":
    main()
