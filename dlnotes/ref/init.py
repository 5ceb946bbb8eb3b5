"""Weight initialisers with torch.nn.init's meaning of gain and fan.

For a weight of shape (fan_out, fan_in, *kernel) the fans are
fan_in = shape[1] * prod(kernel) and fan_out = shape[0] * prod(kernel), as in
torch.nn.init. Each function returns a new float64 array; ``rng`` is a seed or a
``np.random.Generator`` (None draws a seed from NumPy's global generator, so
``dlnotes.setup()`` makes the result reproducible).

| rule | variance | origin |
|---|---|---|
| LeCun | 1 / fan_in | LeCun et al. 1998 |
| Xavier / Glorot | gain^2 * 2 / (fan_in + fan_out) | Glorot & Bengio 2010 |
| Kaiming / He | gain^2 / fan (gain^2 = 2 for ReLU) | He et al. 2015 |
"""
import math

import numpy as np

from .._validate import check_choice, check_number, check_positive, check_sizes

__all__ = ["calculate_gain", "fans", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "lecun_normal"]

_GAINS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity, param=None):
    """The gain of torch.nn.init.calculate_gain: 1 linear/sigmoid, 5/3 tanh,
    sqrt(2) relu, sqrt(2 / (1 + a^2)) leaky_relu (a = 0.01 by default), 3/4 selu."""
    check_choice("calculate_gain", "nonlinearity", nonlinearity, _GAINS)
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    a = 0.01 if param is None else param
    check_number("calculate_gain", "param", a)
    return math.sqrt(2.0 / (1 + a ** 2))


def fans(shape):
    """(fan_in, fan_out) of a weight of ``shape`` (at least 2-D), as torch."""
    shape = _shape("fans", shape)
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _shape(func, shape):
    return check_sizes(func, "shape", shape, expected="a tuple of at least 2 sizes "
                       "(fan_out, fan_in, ...)", item="each size in shape")


def _rng(rng):
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        rng = int(np.random.randint(2 ** 31))
    return np.random.default_rng(rng)


def xavier_uniform(shape, *, gain=1.0, rng=None):
    """U(-r, r) with r = gain * sqrt(6 / (fan_in + fan_out)); variance r^2 / 3."""
    fan_in, fan_out = fans(_shape("xavier_uniform", shape))
    check_positive("xavier_uniform", "gain", gain)
    r = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _rng(rng).uniform(-r, r, size=shape)


def xavier_normal(shape, *, gain=1.0, rng=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(_shape("xavier_normal", shape))
    check_positive("xavier_normal", "gain", gain)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _rng(rng).normal(0.0, std, size=shape)


def _kaiming_std(func, shape, a, mode, nonlinearity):
    fan_in, fan_out = fans(_shape(func, shape))
    check_choice(func, "mode", mode, ("fan_in", "fan_out"))
    check_choice(func, "nonlinearity", nonlinearity, _GAINS)
    check_number(func, "a", a)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_normal(shape, *, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """N(0, std^2) with std = gain / sqrt(fan); torch's defaults (leaky_relu with
    a = 0) give gain sqrt(2): He's variance 2 / fan_in for ReLU."""
    std = _kaiming_std("kaiming_normal", shape, a, mode, nonlinearity)
    return _rng(rng).normal(0.0, std, size=shape)


def kaiming_uniform(shape, *, a=0.0, mode="fan_in", nonlinearity="leaky_relu",
                    rng=None):
    """U(-r, r) with r = sqrt(3) * gain / sqrt(fan), the same variance as
    kaiming_normal."""
    std = _kaiming_std("kaiming_uniform", shape, a, mode, nonlinearity)
    r = math.sqrt(3.0) * std
    return _rng(rng).uniform(-r, r, size=shape)


def lecun_normal(shape, *, rng=None):
    """N(0, 1 / fan_in): variance 1/n, the rule sometimes mislabelled "Xavier".
    torch has no function of this name; kaiming_normal with nonlinearity="linear"
    is the same."""
    fan_in, _ = fans(_shape("lecun_normal", shape))
    return _rng(rng).normal(0.0, 1.0 / math.sqrt(fan_in), size=shape)
