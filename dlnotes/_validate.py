"""The few input checks every public entry point uses.

Each raises ValueError (a wrong value or shape) or TypeError (a wrong kind of
object or dtype) whose message names the function, what was expected and what
came, e.g. ``linear_forward: x must be 2-D (N, D_in), got shape (3, 4, 5)``.
Backward functions trust their cache and check nothing.
"""
import numbers

import numpy as np


def _is_array(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "ndim")


def _is_floating(x):
    dtype = x.dtype
    if hasattr(dtype, "is_floating_point"):          # torch.dtype
        return dtype.is_floating_point
    return np.issubdtype(dtype, np.floating)


def check_array(func, name, x, *, ndim=None, shape=None, floating=False, what=None):
    """Check that ``x`` is an array (NumPy or torch) of the expected form.

    Args:
        func: name of the calling public function, first word of the message.
        name: the argument's name.
        ndim: an int or a tuple of allowed ints.
        shape: a tuple with ``None`` for free sizes, e.g. ``(None, 3)``.
        floating: require a floating-point dtype.
        what: how to describe the layout in the message, e.g. ``"(N, C, H, W)"``.
    """
    if not _is_array(x):
        raise TypeError(f"{func}: {name} must be an array, got {type(x).__name__}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            dims = " or ".join(f"{d}-D" for d in allowed)
            layout = f" {what}" if what else ""
            raise ValueError(
                f"{func}: {name} must be {dims}{layout}, got shape {tuple(x.shape)}")
    if shape is not None:
        ok = len(shape) == x.ndim and all(
            s is None or s == t for s, t in zip(shape, tuple(x.shape)))
        if not ok:
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(
                f"{func}: {name} must have shape {want}, got {tuple(x.shape)}")
    if floating and not _is_floating(x):
        raise TypeError(
            f"{func}: {name} must have a floating-point dtype, got {x.dtype}")
    return x


def check_same_shape(func, names, a, b):
    """Check that two arrays have the same shape (e.g. prediction and target)."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{func}: {names[0]} and {names[1]} must have the same shape, "
                         f"got {tuple(a.shape)} and {tuple(b.shape)}")


def check_number(func, name, value, *, low=None, high=None, low_open=False,
                 high_open=False, integer=False):
    """Check a scalar hyperparameter against an interval.

    ``low``/``high`` bound the value (``None`` = unbounded); ``*_open`` makes the
    bound strict. ``integer`` requires an int (bools are refused).
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an integer" if integer else "a real number"
        raise TypeError(
            f"{func}: {name} must be {expected}, got {value!r} ({type(value).__name__})")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high or value != value:      # value != value catches nan
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{func}: {name} must be in {left}{lo}, {hi}{right}, got {value}")
    return value


def check_positive(func, name, value, *, integer=False):
    """Check ``value > 0``."""
    return check_number(func, name, value, low=0, low_open=True, integer=integer)


def check_sizes(func, name, sizes, *, expected, item):
    """Check a list or tuple of at least two positive integers (layer widths, a shape).

    ``expected`` describes it in the message, ``item`` names one entry, e.g.
    ``check_sizes("MLP", "sizes", s, expected="a list of at least 2 layer widths",
    item="each layer width")``.
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"{func}: {name} must be {expected}, got {sizes!r}")
    for size in sizes:
        check_positive(func, item, size, integer=True)
    return tuple(int(size) for size in sizes)


def check_layer_sizes(func, sizes):
    """Check a list of layer widths [D_in, H_1, ..., D_out]: at least two, each > 0."""
    return list(check_sizes(func, "sizes", sizes, expected="a list of at least 2 "
                            "layer widths", item="each layer width"))


def check_choice(func, name, value, choices):
    """Check that ``value`` is one of ``choices`` (a string option, a data set name)."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{func}: unknown {name} {value!r}; expected one of {options}")
    return value


def check_labels(func, name, y, num_classes):
    """Check integer class labels in ``[0, num_classes)``."""
    if not _is_array(y):
        raise TypeError(f"{func}: {name} must be an array, got {type(y).__name__}")
    if _is_floating(y) or str(y.dtype).startswith(("bool", "torch.bool")):
        raise TypeError(f"{func}: {name} must hold integer class labels, got {y.dtype}")
    if y.size if isinstance(y, np.ndarray) else y.numel():
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(f"{func}: {name} must be in [0, {num_classes - 1}], "
                             f"got values from {lo} to {hi}")
    return y
