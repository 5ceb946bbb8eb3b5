"""Every loader: shapes, dtypes, a split that never changes, and no network."""
import socket

import numpy as np
import pytest

from dlnotes import data

EXPECTED = {  # name: (train size, test size, one example's shape, X dtype)
    "digits": (1437, 360, (8, 8), np.float32),
    "mnist": (4000, 1000, (28, 28), np.float32),
    "names": (4395, 1099, (), np.str_),
    "co2": (1827, 457, (), np.float64),
    "sunspots": (247, 62, (), np.float64),
}


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails, and caches are emptied first."""
    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    data._cached.cache_clear()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loader_shapes_dtypes_offline(name, no_network):
    n_train, n_test, shape, dtype = EXPECTED[name]
    s = data.load(name)
    assert s.X_train.shape == (n_train, *shape) and s.X_test.shape == (n_test, *shape)
    assert len(s.y_train) == n_train and len(s.y_test) == n_test
    assert np.issubdtype(s.X_train.dtype, dtype)
    if name in ("digits", "mnist", "names"):
        assert s.y_train.dtype == np.int64
        assert set(np.unique(s.y_train)) == set(np.unique(s.y_test))
    if name in ("digits", "mnist"):
        assert 0.0 <= s.X_train.min() and s.X_train.max() <= 1.0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_split_is_the_same_on_every_call(name):
    a = data.load(name)
    data._cached.cache_clear()
    b = data.load(name)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_split_is_stratified_and_disjoint():
    s = data.load("digits")
    counts = np.bincount(s.y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37          # 20 % of ~180 per class
    train = {x.tobytes() for x in s.X_train}
    assert not any(x.tobytes() in train for x in s.X_test[:50])


def test_series_split_is_chronological():
    s = data.load("co2")
    assert s.X_train.max() < s.X_test.min()
    assert np.isfinite(s.y_train).all()                       # gaps interpolated


def test_seed_and_fraction_change_the_split():
    a, b = data.load("digits"), data.load("digits", seed=1)
    assert not np.array_equal(a.y_train, b.y_train)
    assert len(data.load("digits", test_fraction=0.5).y_test) == 899


def test_callers_cannot_corrupt_the_cache():
    s = data.load("digits")
    s.X_train[:] = -1
    assert data.load("digits").X_train.min() == 0.0


def test_photos_offline(no_network):
    img = data.photo("camera")
    assert img.shape == (512, 512) and img.dtype == np.float32
    assert data.photo("astronaut").shape == (512, 512, 3)
    assert data.photo("astronaut", gray=True).shape == (512, 512)


def test_bad_input():
    with pytest.raises(ValueError, match="load: unknown data set name 'cifar10'; "
                                         "expected one of 'digits'"):
        data.load("cifar10")
    with pytest.raises(ValueError, match=r"load: test_fraction must be in \(0, 1\), got 1.5"):
        data.load("digits", test_fraction=1.5)
    with pytest.raises(ValueError, match="load: 'mnist_full' is downloaded"):
        data.load("mnist_full")
    with pytest.raises(ValueError, match="photo: unknown photo name 'lena'"):
        data.photo("lena")
