"""setup(), device() and the shared figure helpers."""
import random

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import dlnotes  # noqa: E402
from dlnotes import plot  # noqa: E402
from dlnotes.train import History  # noqa: E402


def draw():
    return random.random(), np.random.rand(), torch.rand(1).item()


def test_setup_makes_every_generator_repeat():
    dlnotes.setup(seed=3)
    first = draw()
    dlnotes.setup(seed=3)
    assert draw() == first
    dlnotes.setup(seed=4)
    assert draw() != first


def test_setup_fixes_threads(monkeypatch):
    from threadpoolctl import threadpool_info

    monkeypatch.delenv("DLNOTES_THREADS", raising=False)
    dlnotes.setup(threads=2)
    assert torch.get_num_threads() == 2
    assert all(p["num_threads"] == 2 for p in threadpool_info() if p["user_api"] == "blas")
    dlnotes.setup()
    assert torch.get_num_threads() == 1
    monkeypatch.setenv("DLNOTES_THREADS", "3")
    dlnotes.setup()
    assert torch.get_num_threads() == 3
    monkeypatch.setenv("DLNOTES_THREADS", "two")
    with pytest.raises(ValueError, match="setup: environment variable DLNOTES_THREADS "
                                         "must be an integer, got 'two'"):
        dlnotes.setup()
    monkeypatch.delenv("DLNOTES_THREADS")
    dlnotes.setup()


def test_seed_gives_each_cell_its_own_numbers(monkeypatch):
    monkeypatch.delenv("DLNOTES_SEED", raising=False)
    first = dlnotes.seed(7).random(3), torch.rand(2)
    np.testing.assert_array_equal(first[0], np.random.default_rng(7).random(3))
    torch.manual_seed(7)
    assert torch.equal(first[1], torch.rand(2))
    dlnotes.seed(5)
    assert not np.array_equal(dlnotes.seed(5).random(3), first[0])
    monkeypatch.setenv("DLNOTES_SEED", "1")
    shifted = dlnotes.seed(7).random(3)
    assert not np.array_equal(shifted, first[0])
    np.testing.assert_array_equal(shifted, np.random.default_rng(7 + 1_000_003).random(3))
    with pytest.raises(ValueError, match=r"seed: cell_seed must be in \[0, inf\], got -1"):
        dlnotes.seed(-1)


def test_setup_reads_the_run_seed(monkeypatch):
    monkeypatch.setenv("DLNOTES_SEED", "2")
    dlnotes.setup()
    a = draw()
    dlnotes.setup(seed=2)
    assert draw() == a


def test_setup_bad_input():
    with pytest.raises(ValueError, match=r"setup: threads must be in \(0, inf\], got 0"):
        dlnotes.setup(threads=0)
    with pytest.raises(TypeError, match="setup: seed must be an integer, got '0'"):
        dlnotes.setup(seed="0")


def test_device_is_cuda_only_when_present():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert dlnotes.device().type == expected


def test_ref_does_not_import_torch():
    import subprocess
    import sys
    code = ("import sys, dlnotes.ref, dlnotes.check, dlnotes.data; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_loss_curves_labels_and_marks_best_epoch():
    hist = History(train_loss=[3, 2, 1, 0.5], val_loss=[3, 2, 2.5, 2.6], best_epoch=2,
                   stopped_early=True)
    ax = plot.loss_curves(hist)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert len(ax.lines) == 3                   # train, validation, best-epoch marker
    plt.close("all")


def test_decision_boundary_and_image_grid():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    ax = plot.decision_boundary(lambda g: (g[:, 0] > 0.5).astype(int), X, [0, 1, 0],
                                resolution=20)
    assert ax.get_xlabel() == "$x_1$"
    fig = plot.image_grid(np.zeros((5, 4, 4)), labels=list("abcde"), ncols=3)
    assert len(fig.axes) == 6 and fig.axes[4].get_title() == "e"
    plt.close("all")


def test_plot_bad_input():
    with pytest.raises(ValueError, match=r"decision_boundary: X must have shape \(\*, 2\), "
                                         r"got \(3, 3\)"):
        plot.decision_boundary(lambda g: g[:, 0], np.zeros((3, 3)), [0, 1, 0])
    with pytest.raises(ValueError, match=r"image_grid: images must be 3-D or 4-D"):
        plot.image_grid(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"image_grid: expected one label per image \(2\), "
                                         r"got 3"):
        plot.image_grid(np.zeros((2, 4, 4)), labels=[1, 2, 3])
    with pytest.raises(ValueError, match="loss_curves: expected a History with at least"):
        plot.loss_curves(History())
