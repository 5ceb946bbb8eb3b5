"""Two-dimensional test surfaces for optimiser trajectories, NumPy only.

Each is a :class:`Surface` whose ``f``, ``grad`` and ``hessian`` take a point
``p = (x, y)``; ``f`` also takes a grid ``(2, H, W)`` (as from ``np.meshgrid``) for
contour plots. ``minima`` lists the local minima (``SADDLE`` has none).

Chapter 02 also uses a noisy linear regression whose loss is exactly such a
surface: :func:`regression_data`, :func:`regression_surface`, the mini-batch
gradient :func:`mse_grad` and the mini-batch SGD loop :func:`sgd_regression`.
"""
from typing import Callable, NamedTuple

import numpy as np

from .._validate import check_array, check_number

__all__ = ["Surface", "RAVINE", "SADDLE", "ROSENBROCK", "TWO_WELLS", "SURFACES",
           "regression_data", "regression_surface", "mse_grad", "sgd_regression"]


class Surface(NamedTuple):
    """A test function with its derivatives and where its minima are."""
    name: str
    f: Callable          # (2, ...) -> (...)
    grad: Callable       # (2,) -> (2,)
    hessian: Callable    # (2,) -> (2, 2)
    minima: tuple        # local minima as (x, y) tuples, the global one first


# A ravine: a quadratic 40 times steeper across (y) than along (x).
RAVINE = Surface(
    "ravine 0.05 x^2 + 2 y^2",
    lambda p: 0.05 * p[0] ** 2 + 2.0 * p[1] ** 2,
    lambda p: np.array([0.1 * p[0], 4.0 * p[1]]),
    lambda p: np.array([[0.1, 0.0], [0.0, 4.0]]),
    ((0.0, 0.0),))

# A saddle: a minimum along x, a maximum along y, flat at the origin.
SADDLE = Surface(
    "saddle x^2 - y^2",
    lambda p: p[0] ** 2 - p[1] ** 2,
    lambda p: np.array([2.0 * p[0], -2.0 * p[1]]),
    lambda p: np.array([[2.0, 0.0], [0.0, -2.0]]),
    ())

# Rosenbrock's banana: a curved, nearly flat valley with its minimum at (1, 1).
ROSENBROCK = Surface(
    "Rosenbrock (1 - x)^2 + 100 (y - x^2)^2",
    lambda p: (1 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2,
    lambda p: np.array([-2 * (1 - p[0]) - 400.0 * p[0] * (p[1] - p[0] ** 2),
                        200.0 * (p[1] - p[0] ** 2)]),
    lambda p: np.array([[2 - 400.0 * (p[1] - 3 * p[0] ** 2), -400.0 * p[0]],
                        [-400.0 * p[0], 200.0]]),
    ((1.0, 1.0),))


def _two_wells_minima():
    # roots of d/dx [(x^2 - 1)^2 + 0.3 x] = 4x^3 - 4x + 0.3 with f'' = 12x^2 - 4 > 0
    roots = np.roots([4.0, 0.0, -4.0, 0.3]).real
    mins = sorted((r for r in roots if 12 * r ** 2 - 4 > 0),
                  key=lambda r: (r ** 2 - 1) ** 2 + 0.3 * r)
    return tuple((float(r), 0.0) for r in mins)


# Two wells: a tilted double well, global minimum near x = -1, a local one near 1.
TWO_WELLS = Surface(
    "two wells (x^2 - 1)^2 + 0.3 x + y^2",
    lambda p: (p[0] ** 2 - 1) ** 2 + 0.3 * p[0] + p[1] ** 2,
    lambda p: np.array([4 * p[0] * (p[0] ** 2 - 1) + 0.3, 2.0 * p[1]]),
    lambda p: np.array([[12 * p[0] ** 2 - 4, 0.0], [0.0, 2.0]]),
    _two_wells_minima())

SURFACES = (RAVINE, SADDLE, ROSENBROCK, TWO_WELLS)


# A noisy linear regression y = X w_true + noise, the loss (1/2N) |X w - y|^2.

def regression_data(rng, n=4096, w_true=(2.0, -1.0), noise=0.5):
    """Standard-normal inputs X (n, D) and targets X w_true + noise * N(0, 1).

    Args:
        rng: a ``numpy.random.Generator`` (e.g. ``dlnotes.seed(k)``).
    Returns:
        (X, y) float64 arrays of shapes (n, D) and (n,).
    """
    check_number("regression_data", "n", n, low=1, integer=True)
    check_number("regression_data", "noise", noise, low=0)
    w_true = np.asarray(w_true, dtype=np.float64)
    X = rng.standard_normal((n, len(w_true)))
    return X, X @ w_true + noise * rng.standard_normal(n)


def regression_surface(X, y):
    """The loss (1/2N) |X w - y|^2 of two weights as a :class:`Surface`.

    Written through the normal equations, (w'Aw - 2b'w + c) / 2 with A = X'X/N,
    b = X'y/N, c = y'y/N, so ``f`` evaluates a whole (2, H, W) grid cheaply.
    """
    X = check_array("regression_surface", "X", np.asarray(X, dtype=np.float64),
                    ndim=2, shape=(None, 2), what="(N, 2)")
    y = check_array("regression_surface", "y", np.asarray(y, dtype=np.float64),
                    shape=(len(X),), what="(N,)")
    n = len(X)
    A, b, c = X.T @ X / n, X.T @ y / n, y @ y / n

    def f(p):
        return (A[0, 0] * p[0] ** 2 + 2 * A[0, 1] * p[0] * p[1] + A[1, 1] * p[1] ** 2
                - 2 * (b[0] * p[0] + b[1] * p[1]) + c) / 2
    w_star = np.linalg.solve(A, b)
    return Surface("least squares (1/2N) |Xw - y|^2", f,
                   lambda p: A @ np.asarray(p) - b, lambda p: A.copy(),
                   (tuple(float(v) for v in w_star),))


def mse_grad(w, X, y, idx=None):
    """Gradient of the mean of (x.w - y)^2 / 2 over the rows ``idx`` (all if None)."""
    if idx is not None:
        X, y = X[idx], y[idx]
    return X.T @ (X @ w - y) / len(y)


def sgd_regression(X, y, start, rng, *, batch_size, steps, lr):
    """Mini-batch SGD on the regression: batches drawn without replacement.

    Args:
        start: (D,) starting weights.
        rng: the ``numpy.random.Generator`` that draws the batches.
        batch_size: examples per step; ``len(X)`` is full-batch gradient descent.
        lr: a number, or a schedule ``lr(t)`` for t = 0, 1, ...
    Returns:
        (steps + 1, D) array of the weights visited, the start first.
    """
    n = len(X)
    check_number("sgd_regression", "batch_size", batch_size, low=1, high=n,
                 integer=True)
    check_number("sgd_regression", "steps", steps, low=0, integer=True)
    schedule = lr if callable(lr) else (lambda t: lr)
    w = np.array(start, dtype=np.float64)
    path = [w]
    for t in range(steps):
        idx = None if batch_size == n else rng.choice(n, batch_size, replace=False)
        w = w - schedule(t) * mse_grad(w, X, y, idx)
        path.append(w)
    return np.stack(path)
