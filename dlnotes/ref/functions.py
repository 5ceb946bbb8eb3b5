"""Two-dimensional test surfaces for optimiser trajectories, NumPy only.

Each is a :class:`Surface` whose ``f``, ``grad`` and ``hessian`` take a point
``p = (x, y)``; ``f`` also takes a grid ``(2, H, W)`` (as from ``np.meshgrid``) for
contour plots. ``minima`` lists the local minima (``SADDLE`` has none).
"""
from typing import Callable, NamedTuple

import numpy as np

__all__ = ["Surface", "RAVINE", "SADDLE", "ROSENBROCK", "TWO_WELLS", "SURFACES"]


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
