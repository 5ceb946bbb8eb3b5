"""Loss functions as forward/backward pairs; every loss is the batch mean.

Forward: ``<loss>_forward(pred, target, **hp) -> (loss, cache)`` with ``loss`` a
float64 scalar. Backward: ``<loss>_backward(dout, cache) -> dpred``, the gradient of
``dout * loss`` with respect to the prediction (the target is data, not learned): the
same ``(dout, cache)`` order as every other backward in ``dlnotes.ref``. A loss is
usually the end of the graph, so ``dout = dJ/dJ = 1`` and a training loop writes
``<loss>_backward(1.0, cache)``.
Conventions and values match torch.nn.functional with ``reduction="mean"``.
"""
import numpy as np

from .._validate import check_array, check_labels, check_positive, check_same_shape
from .activations import log_softmax

__all__ = [
    "one_hot", "cross_entropy_forward", "cross_entropy_backward",
    "mse_forward", "mse_backward", "mae_forward", "mae_backward",
    "huber_forward", "huber_backward",
]


def _cache(func, dout, cache):
    """Catch the old order ``backward(cache)``: the cache is required, second."""
    if cache is None:
        raise TypeError(f"{func}: expected (dout, cache) with the cache returned by the "
                        f"forward, got no cache (the order is backward(1.0, cache))")
    if isinstance(dout, tuple):
        raise TypeError(f"{func}: dout must be a number or an array, got a tuple "
                        f"(a cache?): the order is backward(dout, cache)")
    return cache


def one_hot(y, num_classes):
    """(N,) integer labels -> (N, num_classes) float64 rows with a single 1."""
    check_positive("one_hot", "num_classes", num_classes, integer=True)
    check_array("one_hot", "y", y, ndim=1, what="(N,)")
    check_labels("one_hot", "y", y, num_classes)
    out = np.zeros((len(y), num_classes))
    out[np.arange(len(y)), y] = 1.0
    return out


def cross_entropy_forward(logits, y):
    """Mean softmax cross entropy J = (1/m) sum_i -log p_{i, y_i}, as F.cross_entropy.

    Args:
        logits: (m, C) unnormalised scores.
        y: (m,) integer labels in [0, C).
    Returns:
        loss: float64 scalar; cache: (softmax probabilities, y).
    """
    check_array("cross_entropy_forward", "logits", logits, ndim=2, floating=True,
                what="(N, C)")
    check_array("cross_entropy_forward", "y", y, ndim=1, what="(N,)")
    if len(y) != len(logits):
        raise ValueError(f"cross_entropy_forward: logits and y must have the same "
                         f"length, got {len(logits)} and {len(y)}")
    check_labels("cross_entropy_forward", "y", y, logits.shape[1])
    logp = log_softmax(logits, axis=1)
    m = len(y)
    loss = -logp[np.arange(m), y].mean()
    return loss, (np.exp(logp), y)


def cross_entropy_backward(dout=1.0, cache=None):
    """dJ/dlogits = dout (p - onehot(y)) / m; the softmax and the loss in one step."""
    p, y = _cache("cross_entropy_backward", dout, cache)
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return dout * d / len(y)


def _pair(func, pred, target):
    check_array(func, "pred", pred, floating=True)
    check_array(func, "target", target, floating=True)
    check_same_shape(func, ("pred", "target"), pred, target)


def mse_forward(pred, target):
    """Mean squared error (1/n) sum (pred - target)^2: the L2 loss."""
    _pair("mse_forward", pred, target)
    diff = pred - target
    return np.mean(diff ** 2), diff


def mse_backward(dout=1.0, cache=None):
    """2 (pred - target) / n: proportional to the error, so outliers pull hard."""
    diff = _cache("mse_backward", dout, cache)
    return dout * 2 * diff / diff.size


def mae_forward(pred, target):
    """Mean absolute error (1/n) sum |pred - target|: the L1 loss."""
    _pair("mae_forward", pred, target)
    diff = pred - target
    return np.mean(np.abs(diff)), diff


def mae_backward(dout=1.0, cache=None):
    """sign(pred - target) / n: every point pulls equally hard (0 at a tie)."""
    diff = _cache("mae_backward", dout, cache)
    return dout * np.sign(diff) / diff.size


def huber_forward(pred, target, *, delta=1.0):
    """Huber loss: 0.5 r^2 for |r| <= delta, delta (|r| - 0.5 delta) beyond.

    Quadratic near zero, linear in the tails; as F.huber_loss(pred, target, delta=).
    """
    _pair("huber_forward", pred, target)
    check_positive("huber_forward", "delta", delta)
    r = pred - target
    a = np.abs(r)
    loss = np.where(a <= delta, 0.5 * r ** 2, delta * (a - 0.5 * delta))
    return np.mean(loss), (r, delta)


def huber_backward(dout=1.0, cache=None):
    """r / n inside [-delta, delta], delta sign(r) / n outside: a clipped error."""
    r, delta = _cache("huber_backward", dout, cache)
    return dout * np.clip(r, -delta, delta) / r.size
