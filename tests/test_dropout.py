"""Chapter 03: dropout, the L1/L2 penalties and pt.Dropout."""
import numpy as np
import pytest
import torch
from torch import nn

from dlnotes import pt, ref
from dlnotes.check import check_grads, numerical_grad


@pytest.mark.parametrize("mode", ["inverted", "scale_at_test"])
@pytest.mark.parametrize("shape", [(1, 5), (4, 3, 2, 2)])
def test_dropout_backward_matches_finite_differences(mode, shape):
    # an int seed draws the same mask on every call, as finite differences need
    check_grads(ref.dropout_forward, ref.dropout_backward, shapes=[shape], p=0.3,
                training=True, rng=7, mode=mode)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_inverted_dropout_keeps_the_mean(p):
    x = np.full((200, 500), 2.0)
    out, _ = ref.dropout_forward(x, p, training=True, rng=np.random.default_rng(0))
    # 100,000 Bernoulli draws: the mean's standard error is 2 sqrt(p/(1-p)) / 316
    se = 2 * np.sqrt(p / (1 - p)) / np.sqrt(x.size)
    assert abs(out.mean() - 2.0) <= 4 * se + 1e-12
    assert np.isclose((out == 0).mean(), p, atol=4 * np.sqrt(p * (1 - p) / x.size) + 1e-12)


def test_two_modes_agree_in_expectation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    p = 0.4
    inv = np.mean([ref.dropout_forward(x, p, training=True, rng=rng)[0]
                   for _ in range(20000)], axis=0)
    raw = np.mean([ref.dropout_forward(x, p, training=True, rng=rng,
                                       mode="scale_at_test")[0] for _ in range(20000)],
                  axis=0)
    np.testing.assert_allclose(inv, ref.dropout_forward(x, p, training=False)[0],
                               atol=0.05)
    np.testing.assert_allclose(raw, ref.dropout_forward(x, p, training=False,
                                                        mode="scale_at_test")[0],
                               atol=0.05)


def test_dropout_eval_rules():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(ref.dropout_forward(x, 0.3, training=False)[0], x)
    np.testing.assert_allclose(
        ref.dropout_forward(x, 0.3, training=False, mode="scale_at_test")[0], 0.7 * x)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_bad_p_raises(p):
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        ref.dropout_forward(np.ones(3), p, training=True, rng=0)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        pt.Dropout(p)


def test_dropout_bad_mode_and_rng_raise():
    with pytest.raises(ValueError, match="unknown mode"):
        ref.dropout_forward(np.ones(3), 0.5, training=True, rng=0, mode="upside")
    with pytest.raises(TypeError, match="rng must be"):
        ref.dropout_forward(np.ones(3), 0.5, training=True, rng=None)


def test_pt_dropout_matches_builtin_mask_and_eval():
    x = torch.randn(64, 32)
    torch.manual_seed(3)
    ours = pt.Dropout(0.3)(x)
    torch.manual_seed(3)
    theirs = nn.Dropout(0.3)(x)
    torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(pt.Dropout(0.3).eval()(x), x)


def test_pt_dropout_keeps_the_mean():
    torch.manual_seed(0)
    out = pt.Dropout(0.5)(torch.ones(400, 500))
    assert abs(out.mean().item() - 1.0) < 4 / np.sqrt(out.numel())


@pytest.mark.parametrize("penalty", [ref.l1_penalty, ref.l2_penalty])
def test_penalty_gradients_match_finite_differences(penalty):
    w = np.random.default_rng(0).standard_normal((4, 3))     # no zeros: L1 smooth here
    value, grad = penalty(w, lam=0.3)
    num = numerical_grad(lambda a: penalty(a, lam=0.3)[0], w.copy(), 1.0)
    np.testing.assert_allclose(grad, num, atol=1e-7)
    assert np.isclose(value, penalty(w.copy(), lam=0.3)[0])


def test_penalty_values_and_lists():
    w = [np.array([1.0, -2.0]), np.array([[0.0, 3.0]])]
    v1, g1 = ref.l1_penalty(w, lam=0.5)
    v2, g2 = ref.l2_penalty(w, lam=0.5)
    assert v1 == 0.5 * 6 and v2 == 0.25 * 14
    np.testing.assert_array_equal(g1[1], [[0.0, 0.5]])
    np.testing.assert_array_equal(g2[0], [0.5, -1.0])
    with pytest.raises(ValueError, match="lam must be in"):
        ref.l2_penalty(w, lam=-1.0)
