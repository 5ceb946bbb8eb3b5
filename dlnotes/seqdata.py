"""Sequence data for the recurrent chapter: the adding problem, character
vocabularies for names, and sliding windows over a time series. NumPy only."""
import numpy as np

from ._validate import check_array, check_positive

__all__ = ["adding_problem", "CharVocab", "windows"]


def adding_problem(n, T, rng):
    """The adding problem (Hochreiter and Schmidhuber 1997): n sequences of T
    steps with two features, a uniform value in [0, 1) and a marker; exactly two
    steps are marked, one in the first half and one in the second, and the
    target is the sum of their two values. Predicting 1 (the mean) gives MSE 1/6.

    Returns:
        X: (n, T, 2) float32; y: (n,) float32.
    """
    check_positive("adding_problem", "n", n, integer=True)
    check_positive("adding_problem", "T", T, integer=True)
    if T < 2:
        raise ValueError(f"adding_problem: T must be at least 2, got {T}")
    X = np.zeros((n, T, 2), dtype=np.float32)
    X[:, :, 0] = rng.random((n, T))
    rows = np.arange(n)
    X[rows, rng.integers(0, T // 2, n), 1] = 1
    X[rows, rng.integers(T // 2, T, n), 1] = 1
    return X, (X[:, :, 0] * X[:, :, 1]).sum(1).astype(np.float32)


class CharVocab:
    """Characters of a word list, with index 0 the boundary mark "." that both
    starts and ends every word (so a model learns where names end)."""
    boundary = "."
    ignore_index = -100          # padding in targets; nn.CrossEntropyLoss skips it

    def __init__(self, words):
        chars = sorted(set("".join(words)))
        if self.boundary in chars:
            raise ValueError(f"CharVocab: words must not contain {self.boundary!r}")
        self.chars = [self.boundary] + chars
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, word):
        return [self.index[c] for c in word]

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)

    def batch(self, words):
        """Teacher-forcing pairs, padded: input ". n a m e", target "n a m e ."

        Returns:
            inp: (N, L+1) int64, padded with 0; tgt: (N, L+1) int64, padded
            with ignore_index; L is the longest word.
        """
        L = max(len(w) for w in words) + 1
        inp = np.zeros((len(words), L), dtype=np.int64)
        tgt = np.full((len(words), L), self.ignore_index, dtype=np.int64)
        for k, w in enumerate(words):
            ids = self.encode(w)
            inp[k, 1:len(ids) + 1] = ids
            tgt[k, :len(ids) + 1] = ids + [0]
        return inp, tgt


def windows(series, lags):
    """Sliding windows for one-step-ahead forecasting.

    Args:
        series: (L,) values.
        lags: the window length.
    Returns:
        X: (L - lags, lags, 1), the windows; y: (L - lags,), the value after each.
    """
    series = check_array("windows", "series", np.asarray(series), ndim=1)
    check_positive("windows", "lags", lags, integer=True)
    if len(series) <= lags:
        raise ValueError(f"windows: series must be longer than lags = {lags}, "
                         f"got length {len(series)}")
    idx = np.arange(lags)[None] + np.arange(len(series) - lags)[:, None]
    return series[idx][..., None], series[lags:]
