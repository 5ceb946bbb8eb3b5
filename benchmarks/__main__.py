"""Print ours / torch time ratios for every case of every benchmarks/bench_*.py."""
import argparse
import importlib
import pathlib

import torch
from threadpoolctl import threadpool_limits

from . import best_time


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for torch and BLAS (default 2, as in the book)")
    parser.add_argument("-k", default="", help="run only cases whose name contains this")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)
    here = pathlib.Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    print(f"threads={args.threads}  torch {torch.__version__}")
    print(f"{'case':<52} {'ours ms':>9} {'torch ms':>9} {'ratio':>7}")
    for name in modules:
        module = importlib.import_module(f"benchmarks.{name}")
        for case, ours, theirs in module.cases():
            if args.k not in case:
                continue
            t_ours, t_theirs = best_time(ours), best_time(theirs)
            print(f"{case:<52} {1e3 * t_ours:9.3f} {1e3 * t_theirs:9.3f} "
                  f"{t_ours / t_theirs:6.2f}x")
    if not modules:
        print("(no benchmarks/bench_*.py yet)")


if __name__ == "__main__":
    main()
