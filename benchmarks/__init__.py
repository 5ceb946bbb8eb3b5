"""Speed, measured as ratios against torch in one run. Never part of the tests.

``python -m benchmarks`` runs every ``benchmarks/bench_*.py``; each such module
defines ``cases()``, yielding ``(name, ours, theirs)`` where ``ours`` and
``theirs`` are zero-argument callables doing the same work (ours: dlnotes,
theirs: torch). ``python -m benchmarks.notebooks`` times every notebook.
"""
import timeit


def best_time(fn, *, repeat=5, min_time=0.2):
    """Best seconds per call of ``fn`` over ``repeat`` rounds of enough calls."""
    fn()                                        # warm up (allocations, caches)
    number, elapsed = 1, 0.0
    while True:
        elapsed = timeit.timeit(fn, number=number)
        if elapsed >= min_time / repeat or number >= 1_000_000:
            break
        number *= 2
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number
