"""The shared input checks: every message names the function, expected and got."""
import numpy as np
import pytest
import torch

from dlnotes import _validate as v


def test_check_array_ndim_shape_dtype():
    x = np.zeros((2, 3))
    assert v.check_array("f", "x", x, ndim=2, shape=(None, 3), floating=True) is x
    with pytest.raises(ValueError, match=r"f: x must be 4-D \(N, C, H, W\), got shape \(2, 3\)"):
        v.check_array("f", "x", x, ndim=4, what="(N, C, H, W)")
    with pytest.raises(ValueError, match=r"f: x must be 1-D or 2-D, got shape \(1, 1, 1\)"):
        v.check_array("f", "x", np.zeros((1, 1, 1)), ndim=(1, 2))
    with pytest.raises(ValueError, match=r"f: x must have shape \(\*, 4\), got \(2, 3\)"):
        v.check_array("f", "x", x, shape=(None, 4))
    with pytest.raises(TypeError, match="f: x must have a floating-point dtype, got int64"):
        v.check_array("f", "x", np.zeros(3, dtype=np.int64), floating=True)
    with pytest.raises(TypeError, match="f: x must be an array, got list"):
        v.check_array("f", "x", [1.0, 2.0])


def test_check_array_accepts_torch_tensors():
    v.check_array("f", "x", torch.zeros(2, 3), ndim=2, floating=True)
    with pytest.raises(TypeError, match="floating-point dtype, got torch.int64"):
        v.check_array("f", "x", torch.zeros(2, dtype=torch.long), floating=True)


def test_check_number_and_positive():
    assert v.check_positive("f", "lr", 0.1) == 0.1
    with pytest.raises(ValueError, match=r"f: lr must be in \(0, inf\], got -0.1"):
        v.check_positive("f", "lr", -0.1)
    with pytest.raises(ValueError, match=r"f: lr must be in \(0, inf\], got nan"):
        v.check_positive("f", "lr", float("nan"))
    with pytest.raises(ValueError, match=r"f: p must be in \[0, 1\), got 1"):
        v.check_number("f", "p", 1, low=0, high=1, high_open=True)
    with pytest.raises(TypeError, match=r"f: epochs must be an integer, got 2.5 \(float\)"):
        v.check_positive("f", "epochs", 2.5, integer=True)
    with pytest.raises(TypeError, match="must be a real number, got True"):
        v.check_number("f", "lr", True)


def test_check_choice_and_labels():
    with pytest.raises(ValueError, match="f: unknown mode 'x'; expected one of 'a', 'b'"):
        v.check_choice("f", "mode", "x", ("a", "b"))
    v.check_labels("f", "y", np.array([0, 2]), 3)
    with pytest.raises(ValueError, match=r"f: y must be in \[0, 2\], got values from 0 to 3"):
        v.check_labels("f", "y", np.array([0, 3]), 3)
    with pytest.raises(TypeError, match="f: y must hold integer class labels, got float64"):
        v.check_labels("f", "y", np.array([0.0, 1.0]), 3)
    with pytest.raises(ValueError, match=r"f: pred and target must have the same shape"):
        v.check_same_shape("f", ("pred", "target"), np.zeros(2), np.zeros(3))


def test_check_layer_sizes():
    assert v.check_layer_sizes("f", (3, 4)) == [3, 4]
    with pytest.raises(ValueError, match=r"f: sizes must be a list of at least 2 layer "
                                         r"widths, got \[3\]"):
        v.check_layer_sizes("f", [3])
    with pytest.raises(ValueError, match=r"f: each layer width must be in \(0, inf\], got 0"):
        v.check_layer_sizes("f", [3, 0])
