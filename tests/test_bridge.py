"""pt.ref_function: NumPy pairs as torch ops, checked by torch's own gradcheck."""
import pytest
import torch
import torch.nn.functional as F

from dlnotes import pt, ref


def tensors(*shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g, dtype=torch.float64, requires_grad=True)
            for s in shapes]


@pytest.mark.parametrize("N", [1, 4])
def test_linear_passes_gradcheck_and_matches_torch(N):
    linear = pt.ref_function(ref.linear_forward, ref.linear_backward)
    x, w, b = tensors((N, 3), (2, 3), (2,))
    assert torch.autograd.gradcheck(linear, (x, w, b))
    torch.testing.assert_close(linear(x, w, b), F.linear(x, w, b))


def test_conv2d_with_hyperparameters_and_no_bias():
    conv = pt.ref_function(ref.conv2d_forward, ref.conv2d_backward)
    x, w = tensors((1, 2, 5, 5), (3, 2, 3, 3))
    assert torch.autograd.gradcheck(lambda x, w: conv(x, w, None, stride=2, padding=1),
                                    (x, w))
    torch.testing.assert_close(conv(x, w, None, stride=2, padding=1),
                               F.conv2d(x, w, None, stride=2, padding=1))


def test_a_wrong_backward_fails_gradcheck():
    def bad_backward(dout, cache):
        dx, dw, db = ref.linear_backward(dout, cache)
        return dx, 2 * dw, db
    linear = pt.ref_function(ref.linear_forward, bad_backward)
    x, w, b = tensors((4, 3), (2, 3), (2,))
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        torch.autograd.gradcheck(linear, (x, w, b))


def test_inside_a_model_gradients_reach_the_parameters():
    linear = pt.ref_function(ref.linear_forward, ref.linear_backward)
    x, w, b = tensors((4, 3), (2, 3), (2,))
    linear(x, w, b).pow(2).sum().backward()
    w2, b2 = w.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    F.linear(x.detach(), w2, b2).pow(2).sum().backward()
    torch.testing.assert_close(w.grad, w2.grad)
    torch.testing.assert_close(b.grad, b2.grad)


def test_bad_input():
    with pytest.raises(TypeError, match="ref_function: forward and backward must be "
                                        "callable, got int and function"):
        pt.ref_function(1, ref.linear_backward)
    linear = pt.ref_function(ref.linear_forward, ref.linear_backward)
    with pytest.raises(TypeError, match="linear: argument 1 must be a tensor or None, "
                                        "got list"):
        linear(torch.zeros(2, 3), [[0.0] * 3], torch.zeros(1))
