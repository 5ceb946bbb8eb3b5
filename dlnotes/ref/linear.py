"""The affine layer of every network, and least squares, its closed-form fit."""
import numpy as np

from .._validate import check_array

__all__ = ["linear_forward", "linear_backward", "least_squares"]


def linear_forward(x, weight, bias):
    """Affine map out = x @ weight.T + bias (the score function Wx + b, batched).

    Args:
        x: (N, D_in)
        weight: (D_out, D_in), the layout of torch.nn.Linear
        bias: (D_out,)
    Returns:
        out: (N, D_out)
        cache: (x, weight), what linear_backward needs
    """
    check_array("linear_forward", "x", x, ndim=2, floating=True, what="(N, D_in)")
    check_array("linear_forward", "weight", weight, ndim=2, floating=True,
                shape=(None, x.shape[1]), what="(D_out, D_in)")
    check_array("linear_forward", "bias", bias, ndim=1, floating=True,
                shape=(weight.shape[0],), what="(D_out,)")
    return x @ weight.T + bias, (x, weight)


def linear_backward(dout, cache):
    """Gradients of linear_forward, in its argument order: (dx, dweight, dbias)."""
    x, weight = cache
    dx = dout @ weight              # (N, D_in)
    dweight = dout.T @ x            # (D_out, D_in)
    dbias = dout.sum(axis=0)        # (D_out,)
    return dx, dweight, dbias


def least_squares(X, y):
    """Weights w minimising ||X w - y||^2, from the normal equations X^T X w = X^T y.

    Solved with lstsq (an orthogonal factorisation) rather than by inverting
    X^T X, which squares the condition number.

    Args:
        X: (N, D) design matrix (add a column of ones for an intercept).
        y: (N,) or (N, K) targets.
    Returns:
        w: (D,) or (D, K).
    """
    check_array("least_squares", "X", X, ndim=2, floating=True, what="(N, D)")
    check_array("least_squares", "y", y, ndim=(1, 2), what="(N,) or (N, K)")
    if len(y) != len(X):
        raise ValueError(f"least_squares: X and y must have the same length, "
                         f"got {len(X)} and {len(y)}")
    return np.linalg.lstsq(X, y, rcond=None)[0]
