"""dlnotes.ref / dlnotes.pt attention: parity with torch (forward and backward,
float64), finite differences, state_dict compatibility, and clear errors on bad
input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlnotes import pt, ref
from dlnotes.check import check_grads, check_parity, max_abs_diff


# ------------------------------------------------------------------ scaled dot-product
def sdpa(q, k, v, **hp):
    out, _, cache = ref.scaled_dot_product_attention_forward(q, k, v, **hp)
    return out, cache


def torch_sdpa(q, k, v, mask=None, causal=False, scale=None):
    mask = None if mask is None else torch.as_tensor(mask)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal,
                                          scale=scale)


def _bool_mask(shape, seed=0):
    m = np.random.default_rng(seed).random(shape) > 0.4
    m[..., 0] = True                      # every query keeps one key (no nan rows)
    return m


SDPA_CASES = [
    ([(1, 3, 4), (1, 3, 4), (1, 3, 2)], {}),                            # batch 1, L = S
    ([(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)], {}),                   # heads, L != S
    ([(2, 5, 4), (2, 5, 4), (2, 5, 3)], dict(causal=True)),
    ([(2, 4, 3), (2, 6, 3), (2, 6, 3)], dict(causal=True, scale=0.7)),  # L != S causal
    ([(2, 4, 5), (2, 6, 5), (2, 6, 3)], dict(mask=_bool_mask((4, 6)))),
    ([(2, 4, 5), (2, 6, 5), (2, 6, 3)], dict(mask=_bool_mask((2, 4, 6), 1))),
    ([(2, 4, 5), (2, 6, 5), (2, 6, 3)],
     dict(mask=np.random.default_rng(2).standard_normal((4, 6)))),    # float mask
]


@pytest.mark.parametrize("shapes,hp", SDPA_CASES)
def test_sdpa_matches_torch_and_finite_differences(shapes, hp):
    check_parity(sdpa, ref.scaled_dot_product_attention_backward, torch_sdpa,
                 shapes=shapes, **hp)
    check_grads(sdpa, ref.scaled_dot_product_attention_backward, shapes=shapes, **hp)


def test_sdpa_weights_rows_sum_to_one_and_respect_the_mask():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in ((3, 4), (5, 4), (5, 2)))
    mask = _bool_mask((3, 5))
    _, w, _ = ref.scaled_dot_product_attention_forward(q, k, v, mask=mask)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    assert np.all(w[~mask] == 0)
    _, w, _ = ref.scaled_dot_product_attention_forward(q, k, v, causal=True)
    assert np.all(np.triu(w, 1) == 0)


# ------------------------------------------------------------------------- multi-head
def mha(query, key, value, in_w, in_b, out_w, out_b, **hp):
    out, _, cache = ref.multi_head_attention_forward(query, key, value, in_w, in_b,
                                                     out_w, out_b, **hp)
    return out, cache


def torch_mha(query, key, value, in_w, in_b, out_w, out_b, *, num_heads,
              key_padding_mask=None, attn_mask=None, batch_first=False):
    if batch_first:
        query, key, value = (x.transpose(0, 1) for x in (query, key, value))
    out = F.multi_head_attention_forward(
        query, key, value, query.shape[-1], num_heads, in_w, in_b, None, None, False,
        0.0, out_w, out_b, training=False, need_weights=False,
        key_padding_mask=None if key_padding_mask is None
        else torch.as_tensor(key_padding_mask),
        attn_mask=None if attn_mask is None else torch.as_tensor(attn_mask))[0]
    return out.transpose(0, 1) if batch_first else out


def _mha_shapes(L, S, N, E, batch_first=False):
    seq = (lambda T: (N, T, E)) if batch_first else (lambda T: (T, N, E))
    return [seq(L), seq(S), seq(S), (3 * E, E), (3 * E,), (E, E), (E,)]


def _padding(N, S):
    kpm = np.zeros((N, S), dtype=bool)
    kpm[0, S // 2:] = True                       # the first sequence is padded
    return kpm


MHA_CASES = [
    ((3, 3, 1, 4), dict(num_heads=1)),                                 # batch 1
    ((4, 5, 3, 8), dict(num_heads=2)),                                 # L != S
    ((4, 5, 3, 12), dict(num_heads=3, key_padding_mask=_padding(3, 5))),
    ((4, 5, 2, 8), dict(num_heads=4, attn_mask=~_bool_mask((4, 5)))),
    ((4, 4, 2, 8), dict(num_heads=2, attn_mask=np.triu(np.ones((4, 4), bool), 1),
                        key_padding_mask=_padding(2, 4))),           # causal + padding
    ((3, 5, 2, 8), dict(num_heads=2, attn_mask=~_bool_mask((4, 3, 5), 3))),  # per head
    ((3, 5, 2, 8), dict(num_heads=2,
                        attn_mask=np.random.default_rng(4).standard_normal((3, 5)))),
    ((3, 5, 2, 8), dict(num_heads=2, batch_first=True)),
]


@pytest.mark.parametrize("dims,hp", MHA_CASES)
def test_multi_head_attention_matches_torch(dims, hp):
    shapes = _mha_shapes(*dims, batch_first=hp.get("batch_first", False))
    check_parity(mha, ref.multi_head_attention_backward, torch_mha, shapes=shapes, **hp)


def test_multi_head_attention_finite_differences():
    hp = dict(num_heads=2, key_padding_mask=_padding(2, 4),
              attn_mask=~_bool_mask((3, 4)))
    check_grads(mha, ref.multi_head_attention_backward,
                shapes=_mha_shapes(3, 4, 2, 6), **hp)


def test_multi_head_attention_without_biases():
    def fwd(query, key, value, in_w, out_w):
        return mha(query, key, value, in_w, None, out_w, None, num_heads=2)

    def bwd(dout, cache):
        g = ref.multi_head_attention_backward(dout, cache)
        assert g[4] is None and g[6] is None
        return g[0], g[1], g[2], g[3], g[5]

    def theirs(query, key, value, in_w, out_w):
        return torch_mha(query, key, value, in_w, None, out_w, None, num_heads=2)

    check_parity(fwd, bwd, theirs, shapes=[(3, 2, 4), (5, 2, 4), (5, 2, 4), (12, 4),
                                           (4, 4)])


@pytest.mark.parametrize("average", [True, False])
def test_multi_head_weights_match_the_builtin(average):
    torch.manual_seed(0)
    builtin = nn.MultiheadAttention(8, 2).double()
    q, k = torch.randn(4, 3, 8).double(), torch.randn(5, 3, 8).double()
    kpm = torch.as_tensor(_padding(3, 5))
    out, w = builtin(q, k, k, key_padding_mask=kpm, average_attn_weights=average)
    p = {n: t.detach().numpy() for n, t in builtin.state_dict().items()}
    ours, w_ours, _ = ref.multi_head_attention_forward(
        q.numpy(), k.numpy(), k.numpy(), p["in_proj_weight"], p["in_proj_bias"],
        p["out_proj.weight"], p["out_proj.bias"], num_heads=2,
        key_padding_mask=kpm.numpy(), average_attn_weights=average)
    assert w_ours.shape == tuple(w.shape)
    assert max_abs_diff(ours, out) < 1e-12 and max_abs_diff(w_ours, w) < 1e-12


@pytest.mark.parametrize("batch_first", [False, True])
def test_pt_multi_head_attention_loads_the_builtin_state_dict(batch_first):
    torch.manual_seed(1)
    builtin = nn.MultiheadAttention(12, 3, batch_first=batch_first).double()
    ours = pt.MultiHeadAttention(12, 3, batch_first=batch_first).double()
    ours.load_state_dict(builtin.state_dict())
    assert list(ours.state_dict()) == list(builtin.state_dict())
    shape_q, shape_k = ((2, 4, 12), (2, 6, 12)) if batch_first else ((4, 2, 12),
                                                                      (6, 2, 12))
    q = torch.randn(shape_q, dtype=torch.float64, requires_grad=True)
    k = torch.randn(shape_k, dtype=torch.float64, requires_grad=True)
    masks = dict(key_padding_mask=torch.as_tensor(_padding(2, 6)),
                 attn_mask=torch.as_tensor(~_bool_mask((4, 6), 5)))
    for average in (True, False):
        a, wa = builtin(q, k, k, average_attn_weights=average, **masks)
        b, wb = ours(q, k, k, average_attn_weights=average, **masks)
        assert max_abs_diff(a, b) < 1e-12 and max_abs_diff(wa, wb) < 1e-12
    ga = torch.autograd.grad(a.sum(), [q, k, builtin.in_proj_weight])
    gb = torch.autograd.grad(b.sum(), [q, k, ours.in_proj_weight])
    for x, y in zip(ga, gb):
        assert max_abs_diff(x, y) < 1e-12


def test_pt_multi_head_attention_causal_matches_mask():
    torch.manual_seed(2)
    m = pt.MultiHeadAttention(8, 2).double()
    x = torch.randn(5, 2, 8, dtype=torch.float64)
    a, _ = m(x, x, x, is_causal=True)
    b, _ = m(x, x, x, attn_mask=torch.ones(5, 5, dtype=torch.bool).triu(1))
    assert max_abs_diff(a, b) == 0.0


# -------------------------------------------------------------------------- additive
def additive(query, key, value, W_q, W_k, w_v, **hp):
    out, _, cache = ref.additive_attention_forward(query, key, value, W_q, W_k, w_v,
                                                   **hp)
    return out, cache


def torch_additive(query, key, value, W_q, W_k, w_v, mask=None):
    scores = torch.tanh((query @ W_q.T)[:, :, None] + (key @ W_k.T)[:, None]) @ w_v
    if mask is not None:
        scores = scores.masked_fill(~torch.as_tensor(mask), float("-inf"))
    return scores.softmax(-1) @ value


@pytest.mark.parametrize("shapes,hp", [
    ([(1, 1, 3), (1, 4, 5), (1, 4, 2), (6, 3), (6, 5), (6,)], {}),
    ([(2, 3, 4), (2, 5, 6), (2, 5, 3), (7, 4), (7, 6), (7,)],
     dict(mask=_bool_mask((2, 3, 5)))),
])
def test_additive_attention(shapes, hp):
    check_parity(additive, ref.additive_attention_backward, torch_additive,
                 shapes=shapes, **hp)
    check_grads(additive, ref.additive_attention_backward, shapes=shapes, **hp)


# ------------------------------------------------------------------- spatial sampler
THETAS = [np.array([[[1.0, 0, 0], [0, 1, 0]]]),                         # identity
          np.array([[[0.6, -0.3, 0.2], [0.4, 0.8, -0.1]],
                    [[1.3, 0.2, 0.5], [-0.2, 0.9, 0.3]]])]              # zoom out too


@pytest.mark.parametrize("theta", THETAS)
@pytest.mark.parametrize("size", [(5, 7), (8, 8)])
def test_affine_grid_equals_torch(theta, size):
    shape = (theta.shape[0], 2, *size)
    expected = F.affine_grid(torch.tensor(theta), shape, align_corners=False)
    assert max_abs_diff(ref.affine_grid(theta, shape), expected) < 1e-14


def torch_grid_sample(x, grid):
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros",
                         align_corners=False)


@pytest.mark.parametrize("theta", THETAS)
def test_grid_sample_matches_torch_and_finite_differences(theta):
    rng = np.random.default_rng(0)
    N = theta.shape[0]
    x = rng.standard_normal((N, 3, 6, 7))
    grid = ref.affine_grid(theta, (N, 3, 5, 4)) + 0.01 * rng.standard_normal((N, 5, 4,
                                                                             2))
    check_parity(ref.grid_sample_forward, ref.grid_sample_backward, torch_grid_sample,
                 x, grid)
    check_grads(ref.grid_sample_forward, ref.grid_sample_backward, x, grid)


def test_identity_grid_reproduces_the_image():
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 6))
    grid = ref.affine_grid(THETAS[0], x.shape)
    out, _ = ref.grid_sample_forward(x, grid)
    assert max_abs_diff(out, x) < 1e-14


# ------------------------------------------------------------------------ pt modules
def test_spatial_transformer_starts_at_the_identity():
    torch.manual_seed(0)
    st = pt.SpatialTransformer(1, (12, 12))
    x = torch.randn(3, 1, 12, 12)
    assert max_abs_diff(st(x), x) < 1e-5
    assert st.theta.shape == (3, 2, 3)
    assert pt.SpatialTransformer(1, (20, 20), out_size=(8, 8))(
        torch.randn(2, 1, 20, 20)).shape == (2, 1, 8, 8)


def test_squeeze_excitation_parameters_and_scale():
    se = pt.SqueezeExcitation(64, reduction=16)
    assert sum(p.numel() for p in se.parameters()) == 2 * 64 * 4 + 4 + 64
    x = torch.randn(2, 64, 5, 5)
    y = se(x)
    assert y.shape == x.shape and se.scale.shape == (2, 64)
    assert torch.allclose(y, x * se.scale[:, :, None, None])
    assert ((se.scale > 0) & (se.scale < 1)).all()


@pytest.mark.parametrize("mask", ["mixed", "channel", "spatial"])
def test_residual_attention_variants(mask):
    torch.manual_seed(0)
    block = pt.ResidualAttention(4, mask=mask)
    x = torch.randn(2, 4, 8, 8)
    h = block(x)
    assert h.shape == x.shape and block.m.shape == x.shape
    f = block.trunk(x)
    assert torch.allclose(h, (1 + block.m) * f)
    if mask == "channel":
        norms = block.m.norm(dim=1)
        assert torch.allclose(norms, torch.ones_like(norms), atol=1e-4)
    else:
        assert ((block.m >= 0) & (block.m <= 1)).all()


def test_glimpse_sensor_centre_patch_is_a_crop():
    x = torch.arange(16 * 16, dtype=torch.float32).reshape(1, 1, 16, 16)
    g = pt.GlimpseSensor(4, scales=3)(x, torch.zeros(1, 2))
    assert g.shape == (1, 3, 1, 4, 4)
    assert torch.allclose(g[0, 0, 0], x[0, 0, 6:10, 6:10])
    assert torch.allclose(g[0, 2, 0].mean(), x[0, 0].mean(), rtol=0.05)


@pytest.mark.parametrize("attention", ["none", "dot", "additive"])
def test_seq2seq_shapes(attention):
    torch.manual_seed(0)
    model = pt.Seq2Seq(7, hidden=8, attention=attention)
    src = torch.randint(1, 7, (3, 5))
    assert model(src, torch.zeros(3, 4, dtype=torch.long)).shape == (3, 7, 4)
    assert model.generate(src, 5).shape == (3, 5)
    if attention != "none":
        assert torch.allclose(model.weights.sum(-1), torch.ones(3, 5))


# ------------------------------------------------------------------------- bad input
def test_bad_input_raises_clear_errors():
    rng = np.random.default_rng(0)
    E = 6
    q = rng.standard_normal((3, 2, E))
    w_in, w_out = rng.standard_normal((3 * E, E)), rng.standard_normal((E, E))
    with pytest.raises(ValueError, match="multi_head_attention_forward: embed_dim 6 "
                                         "must be divisible by num_heads 4"):
        ref.multi_head_attention_forward(q, q, q, w_in, None, w_out, None, num_heads=4)
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(L, S\)"):
        ref.multi_head_attention_forward(q, q, q, w_in, None, w_out, None, num_heads=2,
                                         attn_mask=np.zeros((3, 4), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(2, 3\)"):
        ref.multi_head_attention_forward(q, q, q, w_in, None, w_out, None, num_heads=2,
                                         key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(ValueError, match="scaled_dot_product_attention_forward: mask "
                                         "must broadcast"):
        ref.scaled_dot_product_attention_forward(q, q, q, mask=np.ones((4, 4), bool))
    with pytest.raises(ValueError, match="scaled_dot_product_attention_forward: "
                                         "expected q"):
        ref.scaled_dot_product_attention_forward(q, q[:, :, :4], q)
    with pytest.raises(ValueError, match=r"affine_grid: theta must have shape "
                                         r"\(\*, 2, 3\), got \(2, 3, 3\)"):
        ref.affine_grid(np.zeros((2, 3, 3)), (2, 1, 4, 4))
    with pytest.raises(ValueError, match="affine_grid: size must be"):
        ref.affine_grid(np.zeros((2, 2, 3)), (3, 1, 4, 4))
    with pytest.raises(ValueError, match="grid_sample_forward: grid must have shape"):
        ref.grid_sample_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 4, 4, 3)))
    with pytest.raises(ValueError, match="MultiHeadAttention: embed_dim 10 must be "
                                         "divisible by num_heads 3"):
        pt.MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="MultiHeadAttention: attn_mask must have"):
        pt.MultiHeadAttention(4, 2)(torch.zeros(3, 1, 4), torch.zeros(3, 1, 4),
                                    torch.zeros(3, 1, 4),
                                    attn_mask=torch.zeros(2, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="ResidualAttention: unknown mask 'both'"):
        pt.ResidualAttention(4, mask="both")
    with pytest.raises(ValueError, match=r"GlimpseSensor: loc must have shape"):
        pt.GlimpseSensor(4)(torch.zeros(2, 1, 8, 8), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="Seq2Seq: unknown attention 'luong'"):
        pt.Seq2Seq(5, attention="luong")
