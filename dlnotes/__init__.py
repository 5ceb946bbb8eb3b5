"""dlnotes: the code behind the executable deep-learning book.

``dlnotes.ref`` holds NumPy reference implementations (explicit forward and
backward, NumPy only); ``dlnotes.pt`` the PyTorch modules and optimisers;
``check``, ``data``, ``train`` and ``plot`` the helpers the chapters share.
A notebook's first cell calls :func:`setup`; a cell that draws random numbers
starts with ``rng = dlnotes.seed(<the cell's own number>)``.

Two environment variables change a whole run without editing a notebook:
``DLNOTES_SEED`` (default 0) shifts every seed, which is how ``make claims``
re-runs the book under other seeds; ``DLNOTES_THREADS`` (default 1) sets the
thread count, which is how ``make test`` emulates another machine.
"""
import os
import random

# OpenMP threads that spin while they wait for a core stall a busy machine (a
# laptop with a browser open, Colab's shared vCPUs); waiting passively costs
# little when idle. It must be set before torch is first imported, and
# ``import dlnotes`` comes first in every notebook.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

from . import ref  # noqa: E402

__version__ = "0.1.0"
__all__ = ["setup", "seed", "device", "ref"]

# Seeds further apart than any cell's own number, so seed k under DLNOTES_SEED=s
# never equals another cell's seed under another s.
_SEED_STRIDE = 1_000_003


def device():
    """The device lessons run on: CUDA when a GPU is present, else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _env_int(name, default):
    from ._validate import check_number

    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"setup: environment variable {name} must be an integer, "
                         f"got {raw!r}") from None
    check_number("setup", name, value, low=0, integer=True)
    return value


def run_seed():
    """The run's seed: ``DLNOTES_SEED`` from the environment, 0 when unset."""
    return _env_int("DLNOTES_SEED", 0)


def seed(cell_seed):
    """Give one cell its own random numbers: seed torch, return a NumPy generator.

    With the default run seed (0) this is ``torch.manual_seed(cell_seed)`` and
    ``np.random.default_rng(cell_seed)``, so a reader can reproduce a cell by
    hand; ``DLNOTES_SEED=s`` shifts both to ``cell_seed + 1_000_003 * s``.
    Because each cell seeds itself, re-running or editing one cell changes no
    other cell's numbers.

    Args:
        cell_seed: the cell's own non-negative integer.
    Returns:
        numpy.random.Generator
    """
    from ._validate import check_number

    check_number("seed", "cell_seed", cell_seed, low=0, integer=True)
    s = cell_seed + _SEED_STRIDE * run_seed()
    try:
        import torch
    except ImportError:         # the NumPy half of the book runs without torch
        pass
    else:
        torch.manual_seed(s)    # also seeds every CUDA device
    return np.random.default_rng(s)


def setup(seed=None, threads=None):
    """Make a notebook reproducible: seed every generator, fix thread counts.

    Seeds Python's ``random``, NumPy's global generator and torch (CPU and CUDA);
    limits torch and the BLAS behind NumPy to ``threads`` threads; sets print
    precision. One thread by default: the book's models are small, so a second
    thread gains little on an idle machine, and on a busy one (a browser open,
    Colab's shared vCPUs) a second thread waits for a core the neighbour holds
    and the notebook slows down several times (CONTRIBUTING.md has the figures).
    The limit also goes into ``OMP_NUM_THREADS`` and the BLAS variables, for
    libraries loaded after this call (scikit-learn's OpenMP, SciPy's BLAS).
    ``PYTHONHASHSEED`` is set for child processes this one starts
    (``mp.spawn`` workers): it cannot change the running interpreter's own
    string hashing, which was fixed when it started.

    Args:
        seed: the seed for every generator; default ``DLNOTES_SEED`` or 0.
        threads: CPU threads for torch and BLAS; default ``DLNOTES_THREADS`` or 1.
    """
    from ._validate import check_number, check_positive

    seed = run_seed() if seed is None else seed
    threads = _env_int("DLNOTES_THREADS", 1) if threads is None else threads
    check_number("setup", "seed", seed, low=0, integer=True)
    check_positive("setup", "threads", threads, integer=True)
    import torch
    from threadpoolctl import threadpool_limits

    os.environ["PYTHONHASHSEED"] = str(seed)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)          # read by libraries loaded later
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)          # also seeds every CUDA device
    torch.set_num_threads(threads)
    threadpool_limits(threads)
    np.set_printoptions(precision=4, suppress=True)
    torch.set_printoptions(precision=4, sci_mode=False)
