"""Gradient checks: finite differences and torch.autograd against a NumPy backward.

The ops in ``dlnotes.ref`` come in pairs ``forward(*arrays, **hp) -> (out, cache, ...)``
and ``backward(dout, cache) -> grads``, the gradients in the forward's argument
order. Both checkers below take such a pair, push the same seeded upstream
gradient ``dout`` through it and compare every gradient with an independent
reference, in float64. They raise AssertionError naming the argument that
differs and return the max abs differences, so a notebook can print the evidence.
"""
import inspect

import numpy as np

from ._validate import check_array, check_positive

__all__ = ["numerical_grad", "check_grads", "check_parity", "max_abs_diff"]


def max_abs_diff(a, b):
    """max |a - b| as a Python float; a and b may be NumPy arrays or torch tensors."""
    a, b = _numpy(a), _numpy(b)
    if a.shape != b.shape:
        raise ValueError(f"max_abs_diff: shapes differ, got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def numerical_grad(f, x, dout, h=1e-6):
    """Central-difference gradient of sum(f(x) * dout) with respect to x.

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / 2h, one coordinate at a time.

    Args:
        f: function of one array returning an array (or scalar) shaped like dout.
        x: float64 array; perturbed in place and restored.
        dout: the upstream gradient, shaped like f(x).
        h: the step.
    Returns:
        grad: shaped like x.
    """
    check_array("numerical_grad", "x", x, floating=True)
    check_positive("numerical_grad", "h", h)
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.sum(np.asarray(f(x)) * dout)
        x[i] = old - h
        minus = np.sum(np.asarray(f(x)) * dout)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def check_grads(forward, backward, *arrays, shapes=None, wrt=None, seed=0, h=1e-6,
                rtol=1e-5, atol=1e-7, **hp):
    """Compare a NumPy backward with central finite differences, in float64.

    Args:
        forward, backward: a ``dlnotes.ref`` pair (see the module docstring).
        *arrays: the forward's array arguments; or ``shapes=[...]`` to draw them
            from a seeded standard normal.
        wrt: indices of the arrays the backward returns gradients for, in order;
            by default the first ``len(grads)`` arrays.
        **hp: keyword hyperparameters passed to forward.
    Returns:
        dict: max abs difference per gradient, e.g. ``{"dx": 3e-11, ...}``.
    """
    arrays, names, dout, grads, wrt = _run_reference(
        "check_grads", forward, backward, arrays, shapes, wrt, seed, hp)
    diffs = {}
    for g, i in zip(grads, wrt):
        def f(a, i=i):
            args = list(arrays)
            args[i] = a
            return _first(forward(*args, **hp))
        expected = numerical_grad(f, arrays[i].copy(), dout, h)
        diffs["d" + names[i]] = _compare("check_grads", "finite differences",
                                         "d" + names[i], g, expected, rtol, atol)
    return diffs


def check_parity(forward, backward, torch_fn, *arrays, shapes=None, wrt=None, seed=0,
                 rtol=1e-7, atol=1e-9, **hp):
    """Compare a NumPy forward/backward with a torch function and torch.autograd.

    The same seeded float64 arrays go through both; the output and every gradient
    are compared. Integer arrays (labels) become int64 tensors without gradients.

    Args:
        torch_fn: called as ``torch_fn(*tensors, **hp)``; returns the output tensor
            (or a tuple whose first element is the output).
        the rest: as in check_grads.
    Returns:
        dict: max abs difference for the output and each gradient.
    """
    import torch

    arrays, names, dout, grads, wrt = _run_reference(
        "check_parity", forward, backward, arrays, shapes, wrt, seed, hp)
    out = _first(forward(*[a.copy() for a in arrays], **hp))
    tensors = []
    for i, a in enumerate(arrays):
        t = torch.tensor(a)
        tensors.append(t.requires_grad_(True) if i in wrt else t)
    t_out = _first(torch_fn(*tensors, **hp))
    diffs = {"out": _compare("check_parity", "torch", "the output", out,
                             t_out.detach(), rtol, atol)}
    t_grads = torch.autograd.grad(t_out, [tensors[i] for i in wrt],
                                  torch.tensor(dout), allow_unused=True)
    for g, tg, i in zip(grads, t_grads, wrt):
        tg = torch.zeros_like(tensors[i]) if tg is None else tg
        diffs["d" + names[i]] = _compare("check_parity", "torch.autograd",
                                         "d" + names[i], g, tg, rtol, atol)
    return diffs


def _run_reference(func, forward, backward, arrays, shapes, wrt, seed, hp):
    """Shared first half of the checkers: arrays, dout and the NumPy gradients."""
    rng = np.random.default_rng(seed)
    if shapes is not None:
        if arrays:
            raise ValueError(f"{func}: pass arrays or shapes=, not both")
        arrays = [rng.standard_normal(s) for s in shapes]
    if not arrays:
        raise ValueError(f"{func}: expected at least one array (or shapes=), got none")
    arrays = [np.array(a, dtype=np.float64) if np.issubdtype(np.asarray(a).dtype,
              np.floating) else np.array(a) for a in arrays]
    names = _argument_names(forward, len(arrays))
    out, cache = forward(*[a.copy() for a in arrays], **hp)[:2]
    dout = rng.standard_normal(np.shape(out))
    grads = backward(dout, cache)
    grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
    wrt = list(range(len(grads))) if wrt is None else list(wrt)
    if len(wrt) != len(grads):
        raise ValueError(f"{func}: backward returned {len(grads)} gradients "
                         f"but wrt names {len(wrt)} arrays")
    return arrays, names, dout, grads, wrt


def _argument_names(forward, n):
    try:
        params = [p.name for p in inspect.signature(forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(n)]


def _first(result):
    return result[0] if isinstance(result, (tuple, list)) else result


def _numpy(a):
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def _compare(func, reference, what, got, expected, rtol, atol):
    got, expected = _numpy(got), _numpy(expected)
    if got.shape != expected.shape:
        raise AssertionError(f"{func}: {what} has shape {got.shape}, "
                             f"{reference} gives {expected.shape}")
    diff = max_abs_diff(got, expected)
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        raise AssertionError(
            f"{func}: {what} differs from {reference}: max |diff| = {diff:.3g} "
            f"(rtol={rtol}, atol={atol})")
    return diff
