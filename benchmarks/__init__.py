"""Speed, measured as ratios against torch in one run. Never part of the tests.

``python -m benchmarks`` runs every ``benchmarks/bench_*.py``; each such module
defines ``cases()``, yielding ``(name, ours, theirs)`` where ``ours`` and
``theirs`` are zero-argument callables doing the same work (ours: dlnotes,
theirs: torch). ``python -m benchmarks.notebooks`` times every notebook.

On a shared machine another process can take a core for a second: timing one
side completely before the other then measures the neighbour, not the code.
``compare`` alternates the two sides round by round (ABAB...), keeps each
side's minimum (the run least disturbed) and reports how far the per-round
ratios spread, so an untrustworthy figure says so.
"""
import timeit
from dataclasses import dataclass

# Per-round ratios wider than this (max / min - 1) are too noisy to trust.
TRUST_SPREAD = 0.25


def calls_per_round(fn, *, min_time):
    """How many calls of ``fn`` take at least ``min_time`` seconds (a power of 2)."""
    fn()                                        # warm up (allocations, caches)
    number = 1
    while number < 1_000_000 and timeit.timeit(fn, number=number) < min_time:
        number *= 2
    return number


@dataclass
class Comparison:
    ours: float          # best seconds per call
    theirs: float
    ratio: float         # ours / theirs, from the two minima
    low: float           # smallest and largest per-round ratio
    high: float

    @property
    def spread(self):
        return self.high / self.low - 1

    @property
    def trusted(self):
        return self.spread <= TRUST_SPREAD


def compare(ours, theirs, *, rounds=7, min_time=0.05):
    """Time two callables in alternation; return a :class:`Comparison`."""
    n_ours = calls_per_round(ours, min_time=min_time)
    n_theirs = calls_per_round(theirs, min_time=min_time)
    t_ours, t_theirs = [], []
    for _ in range(rounds):
        t_ours.append(timeit.timeit(ours, number=n_ours) / n_ours)
        t_theirs.append(timeit.timeit(theirs, number=n_theirs) / n_theirs)
    ratios = sorted(a / b for a, b in zip(t_ours, t_theirs))
    # the extreme rounds are the disturbed ones: the spread is read inside them
    inner = ratios[1:-1] if len(ratios) > 4 else ratios
    best_ours, best_theirs = min(t_ours), min(t_theirs)
    return Comparison(best_ours, best_theirs, best_ours / best_theirs,
                      min(inner), max(inner))


__all__ = ["compare", "Comparison", "calls_per_round", "TRUST_SPREAD"]
