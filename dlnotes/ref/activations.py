"""Activation functions and softmax, each a forward/backward pair.

``<name>_forward(x, **hp) -> (out, cache)`` and ``<name>_backward(dout, cache) -> dx``,
float64-first, matching torch.nn.functional. ``prelu`` is the family
g(z; a) = max(0, z) + a min(0, z): a = 0 gives ReLU, a = 0.01 leaky ReLU, a = -1 |z|.
"""
import numpy as np

from .._validate import check_array, check_number

__all__ = [
    "sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward",
    "relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward",
    "prelu_forward", "prelu_backward", "softplus_forward", "softplus_backward",
    "elu_forward", "elu_backward", "selu_forward", "selu_backward",
    "softmax", "log_softmax", "ACTIVATIONS",
]

# SELU's constants (Klambauer et al. 2017), as in torch.nn.SELU
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _x(func, x):
    return check_array(func, "x", x, floating=True)


def sigmoid_forward(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), computed without overflow.

    Shape: x any, out like x. Returns (out, cache).
    """
    x = _x("sigmoid_forward", x)
    e = np.exp(-np.abs(x))                 # never overflows
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out, out


def sigmoid_backward(dout, cache):
    """sigma'(x) = sigma(x)(1 - sigma(x)), at most 1/4 (at x = 0)."""
    s = cache
    return dout * s * (1 - s)


def tanh_forward(x):
    """Hyperbolic tangent. Returns (out, cache)."""
    out = np.tanh(_x("tanh_forward", x))
    return out, out


def tanh_backward(dout, cache):
    """tanh'(x) = 1 - tanh(x)^2, in (0, 1]."""
    return dout * (1 - cache ** 2)


def relu_forward(x):
    """max(0, x). Returns (out, cache)."""
    x = _x("relu_forward", x)
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """1 where x > 0, else 0 (0 at x = 0, as torch)."""
    return dout * (cache > 0)


def leaky_relu_forward(x, *, slope=0.01):
    """x for x > 0, slope * x otherwise (torch's negative_slope)."""
    x = _x("leaky_relu_forward", x)
    check_number("leaky_relu_forward", "slope", slope)
    return np.where(x > 0, x, slope * x), (x, slope)


def leaky_relu_backward(dout, cache):
    x, slope = cache
    return dout * np.where(x > 0, 1.0, slope)


def _prelu_weight(func, a, x):
    if isinstance(a, (int, float, np.integer, np.floating)) and not isinstance(a, bool):
        return np.asarray(float(a)), np.asarray(float(a))
    check_array(func, "a", a, ndim=(0, 1), floating=True)
    a = np.asarray(a)
    if a.ndim == 0 or a.size == 1:
        return a, a.reshape(())
    channels = x.shape[1] if x.ndim >= 2 else None
    if a.size != channels:
        raise ValueError(f"{func}: a must hold 1 value or one per channel "
                         f"(x.shape[1] = {channels}), got {a.size}")
    return a, a.reshape((1, -1) + (1,) * (x.ndim - 2))


def prelu_forward(x, a):
    """The family g(x; a) = max(0, x) + a min(0, x), as torch's F.prelu(x, a).

    Args:
        x: (N, C, ...) or any shape when ``a`` is a single value.
        a: a number, or an array of 1 value or C values (one per channel, axis 1).
    Returns:
        out like x; cache (x, a, a broadcast).
    """
    x = _x("prelu_forward", x)
    a, ab = _prelu_weight("prelu_forward", a, x)
    return np.maximum(x, 0) + ab * np.minimum(x, 0), (x, a, ab)


def prelu_backward(dout, cache):
    """Returns (dx, da); da has a's shape (summed over everything a is shared by)."""
    x, a, ab = cache
    dx = dout * np.where(x > 0, 1.0, ab)
    g = dout * np.minimum(x, 0)
    if a.size == 1:
        da = np.asarray(g.sum()).reshape(a.shape)
    else:
        da = g.sum(axis=tuple(i for i in range(x.ndim) if i != 1)).reshape(a.shape)
    return dx, da


def softplus_forward(x):
    """log(1 + exp(x)), a smooth ReLU; computed as logaddexp(0, x)."""
    x = _x("softplus_forward", x)
    return np.logaddexp(0, x), x


def softplus_backward(dout, cache):
    """softplus'(x) = sigmoid(x)."""
    return dout * sigmoid_forward(cache)[0]


def elu_forward(x, *, alpha=1.0):
    """x for x > 0, alpha (exp(x) - 1) otherwise."""
    x = _x("elu_forward", x)
    check_number("elu_forward", "alpha", alpha, low=0)
    neg = alpha * np.expm1(np.minimum(x, 0))
    return np.where(x > 0, x, neg), (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))


def selu_forward(x):
    """scale * elu(x, alpha) with the self-normalising constants of torch.nn.SELU."""
    x = _x("selu_forward", x)
    out, _ = elu_forward(x, alpha=SELU_ALPHA)
    return SELU_SCALE * out, x


def selu_backward(dout, cache):
    return SELU_SCALE * elu_backward(dout, (cache, SELU_ALPHA))


def softmax(z, axis=-1):
    """exp(z) / sum exp(z) along ``axis``; the max is subtracted first, which
    changes nothing mathematically and keeps exp from overflowing."""
    z = check_array("softmax", "z", z, floating=True)
    check_number("softmax", "axis", axis, low=-max(z.ndim, 1), high=max(z.ndim, 1) - 1,
                 integer=True)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """z - logsumexp(z) along ``axis``, stable for logits of any size."""
    z = check_array("log_softmax", "z", z, floating=True)
    check_number("log_softmax", "axis", axis, low=-max(z.ndim, 1),
                 high=max(z.ndim, 1) - 1, integer=True)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# name -> (forward, backward), for models that take an activation by name
ACTIVATIONS = {
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "softplus": (softplus_forward, softplus_backward),
    "elu": (elu_forward, elu_backward),
    "selu": (selu_forward, selu_backward),
}
