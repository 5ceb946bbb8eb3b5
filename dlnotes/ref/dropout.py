"""Dropout and the L1 / L2 weight penalties in NumPy.

``p`` is the probability of *dropping* a unit, as in torch.nn.Dropout; the keep
probability is 1 - p. Inverted dropout scales the kept units by 1/(1 - p) in
training and leaves evaluation alone; the original recipe keeps them unscaled in
training and multiplies by 1 - p at test time. Both give the same expected output.
"""
import numbers

import numpy as np

from .._validate import check_array, check_choice, check_number

__all__ = ["dropout_forward", "dropout_backward", "l1_penalty", "l2_penalty"]

MODES = ("inverted", "scale_at_test")


def dropout_forward(x, p, *, training, rng=None, mode="inverted"):
    """Zero each unit with probability p in training; keep the expectation right.

    Args:
        x: any shape
        p: drop probability in [0, 1)
        training: draw a mask (True) or apply the test-time rule (False).
        rng: a ``np.random.Generator``, or an int seed (the same mask on every
            call, handy for gradient checks); needed when training with p > 0.
        mode: "inverted" (scale by 1/(1-p) in training) or "scale_at_test"
            (multiply by 1-p in evaluation).
    Returns:
        out: shaped like x
        cache: the multiplier applied to x, shaped like x (or a scalar)
    """
    func = "dropout_forward"
    check_array(func, "x", x, floating=True)
    check_number(func, "p", p, low=0, high=1, high_open=True)
    check_choice(func, "mode", mode, MODES)
    keep = 1.0 - p
    if not training:
        scale = keep if mode == "scale_at_test" else 1.0
        return x * scale, scale
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        rng = np.random.default_rng(rng)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{func}: rng must be a np.random.Generator or an int seed "
                        f"when training, got {type(rng).__name__}")
    mask = rng.random(x.shape) < keep               # True = kept, probability 1-p
    scale = mask / keep if mode == "inverted" else mask.astype(x.dtype)
    return x * scale, scale


def dropout_backward(dout, cache):
    """Gradient of dropout_forward: the same multiplier, applied to dout."""
    return dout * cache


def _arrays(func, weights):
    many = isinstance(weights, (list, tuple))
    ws = list(weights) if many else [weights]
    for i, w in enumerate(ws):
        check_array(func, f"weights[{i}]" if many else "weights", w, floating=True)
    return ws, many


def l1_penalty(weights, *, lam):
    """L1 penalty lam * sum |w| and its (sub)gradient lam * sign(w).

    Args:
        weights: an array or a list of arrays
        lam: the penalty's strength, >= 0
    Returns:
        value: a float
        grad: shaped like weights (a list for a list), sign(0) = 0
    """
    check_number("l1_penalty", "lam", lam, low=0)
    ws, many = _arrays("l1_penalty", weights)
    value = lam * sum(float(np.abs(w).sum()) for w in ws)
    grads = [lam * np.sign(w) for w in ws]
    return value, (grads if many else grads[0])


def l2_penalty(weights, *, lam):
    """L2 penalty (lam / 2) * sum w**2 and its gradient lam * w.

    The factor 1/2 makes the gradient lam * w, so plain SGD on it is weight decay
    with coefficient lam.

    Args:
        weights: an array or a list of arrays
        lam: the penalty's strength, >= 0
    Returns:
        value: a float
        grad: shaped like weights (a list for a list)
    """
    check_number("l2_penalty", "lam", lam, low=0)
    ws, many = _arrays("l2_penalty", weights)
    value = 0.5 * lam * sum(float((w ** 2).sum()) for w in ws)
    grads = [lam * w for w in ws]
    return value, (grads if many else grads[0])
