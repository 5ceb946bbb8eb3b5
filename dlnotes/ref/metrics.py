"""Evaluation: accuracy, precision / recall / F1, and k-fold index splits."""
import numpy as np

from .._validate import check_array, check_choice, check_number, check_positive

__all__ = ["accuracy", "precision_recall_f1", "kfold_indices"]


def _labels(func, y_true, y_pred):
    check_array(func, "y_true", y_true, ndim=1, what="(N,)")
    check_array(func, "y_pred", y_pred, ndim=(1, 2),
                what="(N,) labels or (N, C) scores")
    if len(y_true) != len(y_pred):
        raise ValueError(f"{func}: y_true and y_pred must have the same length, "
                         f"got {len(y_true)} and {len(y_pred)}")
    if len(y_true) == 0:
        raise ValueError(f"{func}: expected at least one sample, got 0")
    y_pred = np.asarray(y_pred)
    return np.asarray(y_true), (y_pred.argmax(1) if y_pred.ndim == 2 else y_pred)


def accuracy(y_true, y_pred):
    """Share of correct predictions; y_pred holds labels (N,) or scores (N, C)."""
    y_true, y_pred = _labels("accuracy", y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def precision_recall_f1(y_true, y_pred, *, positive=1, average="binary"):
    """Precision TP/(TP+FP), recall TP/(TP+FN) and F1, their harmonic mean.

    Args:
        y_true: (N,) labels; y_pred: (N,) labels or (N, C) scores.
        positive: the class counted as positive when ``average="binary"``.
        average: "binary", or "macro" (the unweighted mean over the classes
            present in y_true or y_pred). An undefined ratio (0/0) counts as 0,
            as scikit-learn's zero_division=0.
    Returns:
        (precision, recall, f1) as floats.
    """
    y_true, y_pred = _labels("precision_recall_f1", y_true, y_pred)
    check_choice("precision_recall_f1", "average", average, ("binary", "macro"))
    if average == "macro":
        classes = np.union1d(y_true, y_pred)
        scores = np.array([precision_recall_f1(y_true, y_pred, positive=c)
                           for c in classes])
        return tuple(float(s) for s in scores.mean(axis=0))
    tp = np.sum((y_pred == positive) & (y_true == positive))
    fp = np.sum((y_pred == positive) & (y_true != positive))
    fn = np.sum((y_pred != positive) & (y_true == positive))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return float(p), float(r), float(f1)


def kfold_indices(n, k, *, shuffle=False, seed=0):
    """Split range(n) into k folds; returns [(train_idx, val_idx), ...], k pairs.

    Every index is validated exactly once; the first n % k folds get one extra
    sample (scikit-learn's KFold gives the same folds).
    """
    check_positive("kfold_indices", "n", n, integer=True)
    check_number("kfold_indices", "k", k, low=2, high=n, integer=True)
    idx = np.arange(n)
    if shuffle:
        idx = np.random.default_rng(seed).permutation(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    out, start = [], 0
    for s in sizes:
        val = idx[start:start + s]
        train = np.concatenate([idx[:start], idx[start + s:]])
        out.append((train, val))
        start += s
    return out
