"""Chapter 03: normalisation layers (NumPy reference and PyTorch modules).

Every ref forward/backward against torch and finite differences in float64, the
running buffers over several steps and momenta, the pt modules against the
built-ins through their state_dict, and bad input.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlnotes import pt, ref
from dlnotes.check import check_grads, check_parity

SHAPES = [(1, 3, 4, 5), (4, 3), (2, 5), (3, 2, 3, 3), (1, 4, 2, 2)]


def bn_arrays(shape, seed=0):
    rng = np.random.default_rng(seed)
    C = shape[1]
    return (rng.standard_normal(shape) * 2 + 1, rng.standard_normal(C),
            rng.standard_normal(C), rng.standard_normal(C), rng.uniform(0.5, 2, C))


def torch_bn(x, gamma, beta, rm, rv, *, training, momentum=0.1, eps=1e-5):
    return F.batch_norm(x, rm, rv, gamma, beta, training, momentum, eps)


# ---------------------------------------------------------------- batch norm
@pytest.mark.parametrize("shape", [(4, 3), (2, 5), (3, 2, 3, 3), (1, 4, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_matches_torch(shape, training):
    check_parity(ref.batchnorm_forward, ref.batchnorm_backward, torch_bn,
                 *bn_arrays(shape), training=training, momentum=0.1)


@pytest.mark.parametrize("shape", [(4, 3), (1, 2, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_matches_finite_differences(shape, training):
    check_grads(ref.batchnorm_forward, ref.batchnorm_backward, *bn_arrays(shape),
                training=training)


@pytest.mark.parametrize("shape", [(8, 3), (2, 3, 4, 4)])
@pytest.mark.parametrize("momentum", [0.0, 0.1, 0.5, 1.0])
def test_running_buffers_follow_torch_over_steps(shape, momentum):
    rng = np.random.default_rng(1)
    C = shape[1]
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    rm, rv = np.zeros(C), np.ones(C)
    t_rm, t_rv = torch.zeros(C, dtype=torch.float64), torch.ones(C, dtype=torch.float64)
    for _ in range(4):
        x = rng.standard_normal(shape) * 3 - 2
        out, _, rm, rv = ref.batchnorm_forward(x, gamma, beta, rm, rv, training=True,
                                               momentum=momentum)
        t_out = F.batch_norm(torch.tensor(x), t_rm, t_rv, torch.tensor(gamma),
                             torch.tensor(beta), True, momentum, 1e-5)
        np.testing.assert_allclose(out, t_out.numpy(), atol=1e-12)
        np.testing.assert_allclose(rm, t_rm.numpy(), atol=1e-12)
        np.testing.assert_allclose(rv, t_rv.numpy(), atol=1e-12)


def test_batchnorm_running_var_is_unbiased_and_inputs_untouched():
    x, g, b, rm, rv = bn_arrays((5, 2))
    rm0, rv0 = rm.copy(), rv.copy()
    _, _, new_rm, new_rv = ref.batchnorm_forward(x, g, b, rm, rv, training=True,
                                                 momentum=1.0)
    np.testing.assert_allclose(new_rv, x.var(axis=0, ddof=1))
    np.testing.assert_allclose(new_rm, x.mean(axis=0))
    np.testing.assert_array_equal(rm, rm0)
    np.testing.assert_array_equal(rv, rv0)


def test_batchnorm_eval_returns_running_stats_unchanged():
    x, g, b, rm, rv = bn_arrays((3, 2, 2, 2))
    _, _, rm2, rv2 = ref.batchnorm_forward(x, g, b, rm, rv, training=False)
    np.testing.assert_array_equal(rm2, rm)
    np.testing.assert_array_equal(rv2, rv)


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1, 1)])
def test_batchnorm_training_with_one_value_per_channel_raises(shape):
    x, g, b, rm, rv = bn_arrays(shape)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        ref.batchnorm_forward(x, g, b, rm, rv, training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(torch.tensor(x), None, None, training=True)
    out, *_ = ref.batchnorm_forward(x, g, b, rm, rv, training=False)   # eval is fine
    assert out.shape == shape


@pytest.mark.parametrize("bad, match", [
    (dict(x=np.zeros((2, 3, 4))), "2-D or 4-D"),
    (dict(gamma=np.ones(4)), "gamma must have shape"),
    (dict(beta=np.ones((3, 1))), "beta must have shape"),
    (dict(running_var=np.ones(2)), "running_var must have shape"),
    (dict(momentum=1.5), "momentum must be in"),
])
def test_batchnorm_bad_input(bad, match):
    args = dict(zip(["x", "gamma", "beta", "running_mean", "running_var"],
                    bn_arrays((4, 3))))
    hp = {"momentum": bad.pop("momentum")} if "momentum" in bad else {}
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        ref.batchnorm_forward(*args.values(), training=True, **hp)


# -------------------------------------------------- layer, group, instance norm
LN_CASES = [((4, 6), (6,)), ((1, 5), (5,)), ((2, 3, 4), (4,)), ((2, 3, 2, 2), (3, 2, 2)),
            ((1, 2, 3, 3), (2, 3, 3))]


def torch_ln(x, gamma, beta, *, eps=1e-5):
    return F.layer_norm(x, gamma.shape, gamma, beta, eps)


@pytest.mark.parametrize("xshape, nshape", LN_CASES)
def test_layernorm_matches_torch(xshape, nshape):
    check_parity(ref.layernorm_forward, ref.layernorm_backward, torch_ln,
                 shapes=[xshape, nshape, nshape])


@pytest.mark.parametrize("xshape, nshape", LN_CASES[::2])
def test_layernorm_matches_finite_differences(xshape, nshape):
    check_grads(ref.layernorm_forward, ref.layernorm_backward,
                shapes=[xshape, nshape, nshape])


def test_layernorm_bad_gamma_raises():
    with pytest.raises(ValueError, match="last axes of x"):
        ref.layernorm_forward(np.zeros((2, 4)), np.ones(3), np.zeros(3))


def torch_gn(x, gamma, beta, *, num_groups, eps=1e-5):
    return F.group_norm(x, num_groups, gamma, beta, eps)


@pytest.mark.parametrize("shape, groups", [((2, 6, 3, 3), 3), ((1, 4, 2, 3), 2),
                                           ((3, 4), 2), ((2, 6, 5), 1), ((2, 4, 2, 2), 4)])
def test_groupnorm_matches_torch_and_finite_differences(shape, groups):
    C = shape[1]
    check_parity(ref.groupnorm_forward, ref.groupnorm_backward, torch_gn,
                 shapes=[shape, (C,), (C,)], num_groups=groups)
    check_grads(ref.groupnorm_forward, ref.groupnorm_backward,
                shapes=[shape, (C,), (C,)], num_groups=groups)


def test_groupnorm_bad_groups_raises():
    with pytest.raises(ValueError, match="divide into num_groups=4"):
        ref.groupnorm_forward(np.zeros((2, 6, 3)), np.ones(6), np.zeros(6), num_groups=4)
    with pytest.raises(ValueError, match=r"x must be 2-D .*\(N, C, \*spatial\)"):
        ref.groupnorm_forward(np.zeros(6), np.ones(6), np.zeros(6), num_groups=2)
    with pytest.raises(ValueError, match="gamma must have shape"):
        ref.groupnorm_forward(np.zeros((2, 6, 3)), np.ones(3), np.zeros(6), num_groups=2)


def torch_in(x, gamma, beta, *, eps=1e-5):
    return F.instance_norm(x, weight=gamma, bias=beta, eps=eps)


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (1, 2, 3, 3), (2, 3, 5)])
def test_instancenorm_matches_torch_and_finite_differences(shape):
    C = shape[1]
    check_parity(ref.instancenorm_forward, ref.instancenorm_backward, torch_in,
                 shapes=[shape, (C,), (C,)])
    check_grads(ref.instancenorm_forward, ref.instancenorm_backward,
                shapes=[shape, (C,), (C,)])


def test_instancenorm_bad_input_raises():
    with pytest.raises(ValueError, match="3-D"):
        ref.instancenorm_forward(np.zeros((2, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="more than 1 spatial value"):
        ref.instancenorm_forward(np.zeros((2, 3, 1, 1)), np.ones(3), np.zeros(3))


# ---------------------------------------------------------------- weight norm
@pytest.mark.parametrize("shape", [(3, 4), (1, 5), (4, 2, 3, 3)])
def test_weightnorm_matches_torch_and_finite_differences(shape):
    def torch_fn(v, g):
        return torch._weight_norm(v, g.reshape((-1,) + (1,) * (v.ndim - 1)), 0)
    check_parity(ref.weightnorm_forward, ref.weightnorm_backward, torch_fn,
                 shapes=[shape, shape[:1]])
    check_grads(ref.weightnorm_forward, ref.weightnorm_backward,
                shapes=[shape, shape[:1]])


def test_weightnorm_equals_the_builtin_parametrization():
    rng = np.random.default_rng(0)
    v, g = rng.standard_normal((3, 4)), rng.standard_normal(3)
    layer = nn.utils.parametrizations.weight_norm(nn.Linear(4, 3).double())
    with torch.no_grad():
        layer.parametrizations.weight.original0.copy_(torch.tensor(g).reshape(3, 1))
        layer.parametrizations.weight.original1.copy_(torch.tensor(v))
    w, _ = ref.weightnorm_forward(v, g)
    np.testing.assert_allclose(w, layer.weight.detach().numpy(), atol=1e-14)
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), np.abs(g), atol=1e-14)


def test_weightnorm_bad_g_raises():
    with pytest.raises(ValueError, match="g must have shape"):
        ref.weightnorm_forward(np.ones((3, 4)), np.ones(4))


# ----------------------------------------------------------- PyTorch modules
def _load_and_compare(ours, theirs, make_x, steps=3):
    theirs = theirs.double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn_like(p))
    ours = ours.double()
    ours.load_state_dict(theirs.state_dict())
    for mode in ("train", "eval"):
        ours.train(mode == "train")
        theirs.train(mode == "train")
        for _ in range(steps):
            x = make_x().requires_grad_(True)
            x2 = x.detach().clone().requires_grad_(True)
            a, b = ours(x), theirs(x2)
            torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)
            g = torch.randn_like(a)
            a.backward(g)
            b.backward(g)
            torch.testing.assert_close(x.grad, x2.grad, atol=1e-12, rtol=1e-10)
        for (k, v), (k2, v2) in zip(ours.state_dict().items(),
                                    theirs.state_dict().items()):
            assert k == k2
            torch.testing.assert_close(v, v2, atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_pt_batchnorm1d_matches_builtin(momentum):
    torch.manual_seed(0)
    _load_and_compare(pt.BatchNorm1d(5, momentum=momentum),
                      nn.BatchNorm1d(5, momentum=momentum),
                      lambda: torch.randn(6, 5, dtype=torch.float64) * 2 + 1)


def test_pt_batchnorm1d_3d_and_batchnorm2d_match_builtin():
    torch.manual_seed(0)
    _load_and_compare(pt.BatchNorm1d(3), nn.BatchNorm1d(3),
                      lambda: torch.randn(2, 3, 7, dtype=torch.float64))
    _load_and_compare(pt.BatchNorm2d(4), nn.BatchNorm2d(4),
                      lambda: torch.randn(3, 4, 5, 5, dtype=torch.float64) - 1)


def test_pt_batchnorm_without_running_stats_matches_builtin():
    torch.manual_seed(0)
    _load_and_compare(pt.BatchNorm2d(2, track_running_stats=False, affine=False),
                      nn.BatchNorm2d(2, track_running_stats=False, affine=False),
                      lambda: torch.randn(2, 2, 3, 3, dtype=torch.float64))


def test_pt_layernorm_and_groupnorm_match_builtin():
    torch.manual_seed(0)
    _load_and_compare(pt.LayerNorm(6), nn.LayerNorm(6),
                      lambda: torch.randn(1, 6, dtype=torch.float64))
    _load_and_compare(pt.LayerNorm((3, 4, 4)), nn.LayerNorm((3, 4, 4)),
                      lambda: torch.randn(2, 3, 4, 4, dtype=torch.float64))
    _load_and_compare(pt.GroupNorm(2, 6), nn.GroupNorm(2, 6),
                      lambda: torch.randn(2, 6, 3, 3, dtype=torch.float64))


def test_pt_modules_bad_input():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        pt.BatchNorm1d(3)(torch.randn(1, 3))
    with pytest.raises(ValueError, match="expected 3 channels"):
        pt.BatchNorm2d(3)(torch.randn(2, 4, 2, 2))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        pt.BatchNorm2d(3)(torch.randn(2, 3))
    with pytest.raises(ValueError, match="divide into"):
        pt.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="expected input ending in"):
        pt.LayerNorm(5)(torch.randn(2, 4))
    pt.BatchNorm1d(3).eval()(torch.randn(1, 3))         # batch size 1 is fine in eval


# ---------------------------------------------------------------- pt.MLP options
def test_mlp_norm_and_dropout_options_build_the_layers_in_order():
    net = pt.MLP([6, 5, 4, 3], norm="batch", dropout=0.25)
    kinds = [type(m).__name__ for m in net.layers]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout",
                     "Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    assert isinstance(pt.MLP([6, 5, 3], norm="layer").layers[1], pt.LayerNorm)
    assert net.layers[3].p == 0.25 and len(net.linears) == 3


def test_mlp_defaults_are_unchanged_and_load_a_plain_state_dict():
    torch.manual_seed(0)
    plain = pt.MLP([6, 5, 3])
    assert [type(m).__name__ for m in plain.layers] == ["Linear", "ReLU", "Linear"]
    torch.manual_seed(0)
    same = pt.MLP([6, 5, 3], norm=None, dropout=0.0)
    x = torch.randn(4, 6)
    assert torch.equal(plain(x), same(x))


def test_mlp_with_batchnorm_matches_a_builtin_sequential():
    torch.manual_seed(1)
    ours = pt.MLP([8, 6, 4], "tanh", norm="batch").double()
    theirs = nn.Sequential(nn.Linear(8, 6), nn.BatchNorm1d(6), nn.Tanh(),
                           nn.Linear(6, 4)).double()
    theirs.load_state_dict({k.removeprefix("layers."): v
                            for k, v in ours.state_dict().items()})
    x = torch.randn(5, 8, dtype=torch.float64)
    for mode in (True, False):
        ours.train(mode), theirs.train(mode)
        torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=1e-12)


def test_mlp_dropout_is_identity_in_eval_mode_and_drops_in_training():
    net = pt.MLP([10, 200, 2], dropout=0.5)
    x = torch.randn(3, 10)
    net.eval()
    torch.testing.assert_close(net(x), net(x))
    hidden = net.layers[:3].train()(x)
    assert 0.3 < (hidden == 0).float().mean() < 0.9


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(norm="group"), ValueError, "MLP: unknown norm 'group'"),
    (dict(dropout=1.0), ValueError, "MLP: dropout must be in"),
    (dict(dropout="0.5"), TypeError, "MLP: dropout must be a real number"),
])
def test_mlp_bad_options_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        pt.MLP([4, 3, 2], **kwargs)
