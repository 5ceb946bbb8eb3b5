"""dlnotes.check must catch a wrong backward, not only pass a right one."""
import numpy as np
import pytest
import torch.nn.functional as F

from dlnotes.check import check_grads, check_parity, max_abs_diff, numerical_grad

SHAPES = [(4, 3), (2, 3), (2,)]


def linear_forward(x, weight, bias):
    return x @ weight.T + bias, (x, weight)


def linear_backward(dout, cache):
    x, weight = cache
    return dout @ weight, dout.T @ x, dout.sum(axis=0)


def wrong_dweight(dout, cache):          # the classic slip: forgot a transpose
    x, weight = cache
    return dout @ weight, (dout.T @ x)[:, ::-1], dout.sum(axis=0)


def wrong_dbias(dout, cache):            # bias gradient averaged instead of summed
    dx, dweight, _ = linear_backward(dout, cache)
    return dx, dweight, dout.mean(axis=0)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, out):
    return dout * (1 - out**2)


def test_correct_backward_passes_both_checks():
    diffs = check_grads(linear_forward, linear_backward, shapes=SHAPES)
    assert set(diffs) == {"dx", "dweight", "dbias"}
    assert max(diffs.values()) < 1e-7
    diffs = check_parity(linear_forward, linear_backward, F.linear, shapes=SHAPES)
    assert set(diffs) == {"out", "dx", "dweight", "dbias"}
    assert max(diffs.values()) < 1e-12


@pytest.mark.parametrize("backward,name", [(wrong_dweight, "dweight"),
                                           (wrong_dbias, "dbias")])
def test_wrong_backward_fails_grads_and_names_the_argument(backward, name):
    with pytest.raises(AssertionError, match=f"check_grads: {name} differs"):
        check_grads(linear_forward, backward, shapes=SHAPES)


@pytest.mark.parametrize("backward,name", [(wrong_dweight, "dweight"),
                                           (wrong_dbias, "dbias")])
def test_wrong_backward_fails_parity_and_names_the_argument(backward, name):
    with pytest.raises(AssertionError, match=f"check_parity: {name} differs"):
        check_parity(linear_forward, backward, F.linear, shapes=SHAPES)


def test_wrong_forward_fails_parity():
    def scaled(x, weight, bias):
        out, cache = linear_forward(x, weight, bias)
        return 1.001 * out, cache
    with pytest.raises(AssertionError, match="the output differs"):
        check_parity(scaled, linear_backward, F.linear, shapes=SHAPES)


def test_small_error_is_caught_by_finite_differences():
    def almost(dout, out):               # 1e-4 relative error in the derivative
        return dout * (1 - out**2) * (1 + 1e-4)
    check_grads(tanh_forward, tanh_backward, shapes=[(3, 5)])
    with pytest.raises(AssertionError):
        check_grads(tanh_forward, almost, shapes=[(3, 5)])


def test_integer_arrays_are_not_differentiated():
    def pick_forward(x, idx):
        return x[np.arange(len(idx)), idx], (x.shape, idx)

    def pick_backward(dout, cache):
        shape, idx = cache
        dx = np.zeros(shape)
        dx[np.arange(len(idx)), idx] = dout
        return dx

    def torch_pick(x, idx):
        return x.gather(1, idx[:, None])[:, 0]

    x, idx = np.random.default_rng(0).standard_normal((4, 3)), np.array([0, 2, 1, 2])
    assert check_parity(pick_forward, pick_backward, torch_pick, x, idx)["dx"] == 0.0
    check_grads(pick_forward, pick_backward, x, idx)


def test_numerical_grad_of_a_known_function():
    x = np.array([1.0, -2.0, 0.5])
    grad = numerical_grad(lambda a: a**3, x.copy(), np.ones(3))
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)


def test_numerical_grad_restores_its_input():
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    before = x.copy()
    numerical_grad(np.sin, x, np.ones_like(x))
    np.testing.assert_array_equal(x, before)


def test_max_abs_diff_handles_numpy_and_torch():
    import torch
    assert max_abs_diff(np.array([1.0, 2.0]), torch.tensor([1.0, 2.5])) == 0.5


def test_bad_input():
    with pytest.raises(ValueError, match="check_grads: expected at least one array"):
        check_grads(tanh_forward, tanh_backward)
    with pytest.raises(ValueError, match="backward returned 3 gradients but wrt names 1"):
        check_grads(linear_forward, linear_backward, shapes=SHAPES, wrt=[0])
    with pytest.raises(TypeError, match="numerical_grad: x must have a floating-point"):
        numerical_grad(np.sin, np.arange(3), np.ones(3))
    with pytest.raises(ValueError, match=r"numerical_grad: h must be in \(0, inf\]"):
        numerical_grad(np.sin, np.ones(3), np.ones(3), h=-1e-6)
    with pytest.raises(ValueError, match="max_abs_diff: shapes differ"):
        max_abs_diff(np.ones(3), np.ones(4))
