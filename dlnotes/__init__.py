"""dlnotes: the code behind the executable deep-learning book.

``dlnotes.ref`` holds NumPy reference implementations (explicit forward and
backward, NumPy only); ``dlnotes.pt`` the PyTorch modules and optimisers;
``check``, ``data``, ``train`` and ``plot`` the helpers the chapters share.
A notebook's first cell calls :func:`setup`.
"""
import os
import random

import numpy as np

from . import ref

__version__ = "0.1.0"
__all__ = ["setup", "device", "ref"]


def device():
    """The device lessons run on: CUDA when a GPU is present, else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup(seed=0, threads=2):
    """Make a notebook reproducible: seed every generator, fix thread counts.

    Seeds Python's ``random``, NumPy's global generator and torch (CPU and CUDA);
    limits torch and the BLAS behind NumPy to ``threads`` threads, so results and
    speeds match the 2-core machines the book is tested on; sets print precision.

    Args:
        seed: the seed for every generator.
        threads: the number of CPU threads for torch and BLAS.
    """
    from ._validate import check_number, check_positive

    check_number("setup", "seed", seed, low=0, integer=True)
    check_positive("setup", "threads", threads, integer=True)
    import torch
    from threadpoolctl import threadpool_limits

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)          # also seeds every CUDA device
    torch.set_num_threads(threads)
    threadpool_limits(threads)
    np.set_printoptions(precision=4, suppress=True)
    torch.set_printoptions(precision=4, sci_mode=False)
