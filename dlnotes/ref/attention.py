"""Attention in NumPy: scaled dot-product, multi-head, additive; the spatial sampler.

Conventions follow PyTorch exactly, including where its two attention APIs disagree:

* ``scaled_dot_product_attention_forward`` is ``F.scaled_dot_product_attention``:
  q (..., L, E), k (..., S, E), v (..., S, Ev); a boolean ``mask`` is True where a
  query MAY attend to a key; a float mask is added to the scores.
* ``multi_head_attention_forward`` is ``nn.MultiheadAttention``: (L, N, E) inputs
  (``batch_first=True`` for (N, L, E)); ``in_proj_weight`` (3E, E) stacks W_q, W_k,
  W_v, each head owning E / num_heads contiguous rows; boolean ``attn_mask`` and
  ``key_padding_mask`` are True where a query may NOT attend (the opposite).
* ``affine_grid`` / ``grid_sample_forward`` are ``F.affine_grid`` /
  ``F.grid_sample`` with bilinear interpolation, zero padding, ``align_corners=False``.
"""
import numpy as np

from .._validate import check_array, check_positive

__all__ = ["softmax_last", "scaled_dot_product_attention_forward",
           "scaled_dot_product_attention_backward", "multi_head_attention_forward",
           "multi_head_attention_backward", "additive_attention_forward",
           "additive_attention_backward", "affine_grid", "grid_sample_forward",
           "grid_sample_backward"]


def softmax_last(scores):
    """Softmax over the last axis, stable; a row of all -inf gives nan (as torch)."""
    m = np.max(scores, axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(m), m, 0.0))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_backward(dweights, weights):
    """d scores from d weights for weights = softmax(scores) over the last axis."""
    return weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))


def _additive_mask(func, name, mask, shape, *, true_means):
    """A boolean or float mask as an additive float mask broadcastable to ``shape``.

    ``true_means`` is "keep" (SDPA) or "drop" (nn.MultiheadAttention).
    """
    check_array(func, name, mask)
    try:
        np.broadcast_shapes(mask.shape, shape)
    except ValueError:
        raise ValueError(f"{func}: {name} must broadcast to the scores' shape "
                         f"{tuple(shape)}, got shape {tuple(mask.shape)}") from None
    if mask.dtype == bool:
        drop = ~mask if true_means == "keep" else mask
        return np.where(drop, -np.inf, 0.0)
    if not np.issubdtype(mask.dtype, np.floating):
        raise TypeError(f"{func}: {name} must be boolean or floating, got {mask.dtype}")
    return mask


# ------------------------------------------------------------- scaled dot-product
def scaled_dot_product_attention_forward(q, k, v, *, mask=None, causal=False,
                                         scale=None):
    """softmax(q k^T * scale + mask) v, as F.scaled_dot_product_attention.

    Args:
        q: (..., L, E) queries; k: (..., S, E) keys; v: (..., S, Ev) values.
        mask: boolean (True = may attend) or float (added to the scores),
            broadcastable to (..., L, S).
        causal: query i attends to keys j <= i only (top-left aligned, as torch).
        scale: multiplies the scores; default 1 / sqrt(E).
    Returns:
        out: (..., L, Ev); weights: (..., L, S), each row sums to 1;
        cache: what the backward needs.
    """
    func = "scaled_dot_product_attention_forward"
    check_array(func, "q", q, ndim=range(2, 8), floating=True, what="(..., L, E)")
    check_array(func, "k", k, ndim=q.ndim, floating=True, what="(..., S, E)")
    check_array(func, "v", v, ndim=q.ndim, floating=True, what="(..., S, Ev)")
    if k.shape[-1] != q.shape[-1] or k.shape[-2] != v.shape[-2] \
            or not (q.shape[:-2] == k.shape[:-2] == v.shape[:-2]):
        raise ValueError(f"{func}: expected q (..., L, E), k (..., S, E), "
                         f"v (..., S, Ev) with the same leading dimensions, got "
                         f"q {q.shape}, "
                         f"k {k.shape}, v {v.shape}")
    L, S = q.shape[-2], k.shape[-2]
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    check_positive(func, "scale", scale)
    scores = (q @ np.swapaxes(k, -1, -2)) * scale              # (..., L, S)
    if mask is not None:
        scores = scores + _additive_mask(func, "mask", mask, scores.shape,
                                         true_means="keep")
    if causal:
        scores = np.where(np.tril(np.ones((L, S), dtype=bool)), scores, -np.inf)
    weights = softmax_last(scores)
    out = weights @ v                                           # (..., L, Ev)
    return out, weights, (q, k, v, weights, scale)


def scaled_dot_product_attention_backward(dout, cache):
    """Gradients (dq, dk, dv) of scaled_dot_product_attention_forward."""
    q, k, v, weights, scale = cache
    dv = np.swapaxes(weights, -1, -2) @ dout                    # (..., S, Ev)
    dweights = dout @ np.swapaxes(v, -1, -2)                    # (..., L, S)
    dscores = np.nan_to_num(_softmax_backward(dweights, weights)) * scale
    dq = dscores @ k                                            # (..., L, E)
    dk = np.swapaxes(dscores, -1, -2) @ q                       # (..., S, E)
    return dq, dk, dv


# --------------------------------------------------------------------- multi-head
def multi_head_attention_forward(query, key, value, in_proj_weight, in_proj_bias,
                                 out_proj_weight, out_proj_bias, *, num_heads,
                                 key_padding_mask=None, attn_mask=None,
                                 average_attn_weights=True, batch_first=False):
    """nn.MultiheadAttention's forward (no dropout, no bias_k/v), in NumPy.

    Each head h projects with rows [h d, (h+1) d) of W_q, W_k, W_v (d = E / heads),
    runs scaled dot-product attention, and the heads' outputs are concatenated
    and projected by out_proj.

    Args:
        query: (L, N, E); key: (S, N, E); value: (S, N, E) ((N, L, E) ... when
            batch_first).
        in_proj_weight: (3E, E), W_q; W_k; W_v stacked. in_proj_bias: (3E,) or None.
        out_proj_weight: (E, E); out_proj_bias: (E,) or None.
        num_heads: must divide E.
        key_padding_mask: (N, S); True (or -inf) = that key is padding, ignore it.
        attn_mask: (L, S) or (N * num_heads, L, S); True = may NOT attend.
        average_attn_weights: return the weights averaged over heads (N, L, S),
            else per head (N, num_heads, L, S).
    Returns:
        out: shaped like query; weights; cache.
    """
    func = "multi_head_attention_forward"
    for name, a in (("query", query), ("key", key), ("value", value)):
        check_array(func, name, a, ndim=3, floating=True,
                    what="(N, L, E)" if batch_first else "(L, N, E)")
    if batch_first:
        query, key, value = (np.swapaxes(a, 0, 1) for a in (query, key, value))
    L, N, E = query.shape
    S = key.shape[0]
    check_positive(func, "num_heads", num_heads, integer=True)
    if E % num_heads:
        raise ValueError(f"{func}: embed_dim {E} must be divisible by num_heads "
                         f"{num_heads}")
    if key.shape != (S, N, E) or value.shape != (S, N, E):
        raise ValueError(f"{func}: key and value must have shape (S, N, E) = "
                         f"(S, {N}, {E}) matching query {query.shape}, got key "
                         f"{key.shape}, value {value.shape}")
    check_array(func, "in_proj_weight", in_proj_weight, shape=(3 * E, E), floating=True)
    check_array(func, "out_proj_weight", out_proj_weight, shape=(E, E), floating=True)
    if in_proj_bias is not None:
        check_array(func, "in_proj_bias", in_proj_bias, shape=(3 * E,), floating=True)
    if out_proj_bias is not None:
        check_array(func, "out_proj_bias", out_proj_bias, shape=(E,), floating=True)
    H, d = num_heads, E // num_heads
    mask = np.zeros((N, H, L, S))
    if attn_mask is not None:
        if attn_mask.shape not in ((L, S), (N * H, L, S)):
            raise ValueError(f"{func}: attn_mask must have shape (L, S) = ({L}, {S}) "
                             f"or (N * num_heads, L, S) = ({N * H}, {L}, {S}), got "
                             f"{tuple(attn_mask.shape)}")
        am = _additive_mask(func, "attn_mask", attn_mask, attn_mask.shape,
                            true_means="drop")
        mask = mask + am.reshape((N, H, L, S) if am.ndim == 3 else (L, S))
    if key_padding_mask is not None:
        check_array(func, "key_padding_mask", key_padding_mask, shape=(N, S),
                    what="(N, S)")
        kpm = _additive_mask(func, "key_padding_mask", key_padding_mask, (N, S),
                             true_means="drop")
        mask = mask + kpm[:, None, None, :]
    W = np.split(in_proj_weight, 3)
    b = np.split(in_proj_bias, 3) if in_proj_bias is not None else (0.0, 0.0, 0.0)

    def heads(x, i):                         # (T, N, E) -> (N, H, T, d)
        p = x @ W[i].T + b[i]
        return p.reshape(x.shape[0], N, H, d).transpose(1, 2, 0, 3)

    q, k, v = heads(query, 0), heads(key, 1), heads(value, 2)
    o, weights, sdpa_cache = scaled_dot_product_attention_forward(q, k, v, mask=mask)
    concat = o.transpose(2, 0, 1, 3).reshape(L, N, E)         # heads side by side
    out = concat @ out_proj_weight.T
    if out_proj_bias is not None:
        out = out + out_proj_bias
    cache = (query, key, value, W, concat, out_proj_weight, sdpa_cache,
             in_proj_bias is not None, out_proj_bias is not None, batch_first)
    w = weights.mean(axis=1) if average_attn_weights else weights
    return (np.swapaxes(out, 0, 1) if batch_first else out), w, cache


def multi_head_attention_backward(dout, cache):
    """Gradients of multi_head_attention_forward in its argument order:
    (dquery, dkey, dvalue, din_proj_weight, din_proj_bias, dout_proj_weight,
    dout_proj_bias); a bias passed as None gets None."""
    (query, key, value, W, concat, Wo, sdpa_cache, has_in_b, has_out_b,
     batch_first) = cache
    if batch_first:
        dout = np.swapaxes(dout, 0, 1)
    L, N, E = query.shape
    H = sdpa_cache[0].shape[1]
    dWo = np.einsum("lne,lnf->ef", dout, concat)
    dbo = dout.sum(axis=(0, 1)) if has_out_b else None
    dconcat = dout @ Wo                                        # (L, N, E)
    do = dconcat.reshape(L, N, H, E // H).transpose(1, 2, 0, 3)
    grads = scaled_dot_product_attention_backward(do, sdpa_cache)
    dx, dW, db = [], [], []
    for x, g, Wi in zip((query, key, value), grads, W):
        g = g.transpose(2, 0, 1, 3).reshape(x.shape[0], N, E)    # back to (T, N, E)
        dx.append(g @ Wi)
        dW.append(np.einsum("tne,tnf->ef", g, x))
        db.append(g.sum(axis=(0, 1)))
    if batch_first:
        dx = [np.swapaxes(g, 0, 1) for g in dx]
    return (*dx, np.concatenate(dW), np.concatenate(db) if has_in_b else None,
            dWo, dbo)


# ------------------------------------------------------------------------ additive
def additive_attention_forward(query, key, value, W_q, W_k, w_v, *, mask=None):
    """Bahdanau (additive) attention: score(q, k) = w_v^T tanh(W_q q + W_k k).

    Args:
        query: (N, L, Dq); key: (N, S, Dk); value: (N, S, Dv).
        W_q: (H, Dq); W_k: (H, Dk); w_v: (H,).
        mask: boolean broadcastable to (N, L, S), True = may attend (as SDPA).
    Returns:
        out: (N, L, Dv); weights: (N, L, S); cache.
    """
    func = "additive_attention_forward"
    check_array(func, "query", query, ndim=3, floating=True, what="(N, L, Dq)")
    check_array(func, "key", key, ndim=3, floating=True, what="(N, S, Dk)")
    check_array(func, "value", value, ndim=3, floating=True, what="(N, S, Dv)")
    N, L, Dq = query.shape
    S, Dk = key.shape[1], key.shape[2]
    if key.shape[0] != N or value.shape[:2] != (N, S):
        raise ValueError(f"{func}: expected key (N, S, Dk) and value (N, S, Dv) with "
                         f"N = {N}, got key {key.shape}, value {value.shape}")
    check_array(func, "W_q", W_q, ndim=2, floating=True, what="(H, Dq)")
    Hd = W_q.shape[0]
    check_array(func, "W_q", W_q, shape=(Hd, Dq))
    check_array(func, "W_k", W_k, shape=(Hd, Dk), floating=True)
    check_array(func, "w_v", w_v, shape=(Hd,), floating=True)
    feats = np.tanh((query @ W_q.T)[:, :, None, :] + (key @ W_k.T)[:, None, :, :])
    scores = feats @ w_v                                        # (N, L, S)
    if mask is not None:
        scores = scores + _additive_mask(func, "mask", mask, scores.shape,
                                         true_means="keep")
    weights = softmax_last(scores)
    out = weights @ value
    return out, weights, (query, key, value, W_q, W_k, w_v, feats, weights)


def additive_attention_backward(dout, cache):
    """Gradients (dquery, dkey, dvalue, dW_q, dW_k, dw_v) of additive attention."""
    query, key, value, W_q, W_k, w_v, feats, weights = cache
    dvalue = np.swapaxes(weights, -1, -2) @ dout
    dweights = dout @ np.swapaxes(value, -1, -2)
    dscores = np.nan_to_num(_softmax_backward(dweights, weights))     # (N, L, S)
    dw_v = np.einsum("nls,nlsh->h", dscores, feats)
    dpre = dscores[..., None] * w_v * (1 - feats ** 2)                # (N, L, S, H)
    dqh, dkh = dpre.sum(axis=2), dpre.sum(axis=1)                     # (N,L,H), (N,S,H)
    return (dqh @ W_q, dkh @ W_k, dvalue, np.einsum("nlh,nld->hd", dqh, query),
            np.einsum("nsh,nsd->hd", dkh, key), dw_v)


# ------------------------------------------------------------------ spatial sampler
def affine_grid(theta, size):
    """Sampling grid of an affine map, as F.affine_grid(..., align_corners=False).

    Output pixel (i, j) has normalised coordinates x_j = (2j + 1) / W - 1,
    y_i = (2i + 1) / H - 1; its source point is theta @ (x_j, y_i, 1).

    Args:
        theta: (N, 2, 3); size: (N, C, H, W) of the output.
    Returns:
        grid: (N, H, W, 2), (x, y) in [-1, 1] for points inside the input.
    """
    check_array("affine_grid", "theta", theta, shape=(None, 2, 3), floating=True)
    if len(size) != 4 or size[0] != theta.shape[0]:
        raise ValueError(f"affine_grid: size must be (N, C, H, W) with N = "
                         f"{theta.shape[0]} (theta's batch), got {tuple(size)}")
    H, W = size[2], size[3]
    xs = (2 * np.arange(W) + 1) / W - 1
    ys = (2 * np.arange(H) + 1) / H - 1
    base = np.stack([*np.meshgrid(xs, ys), np.ones((H, W))], axis=-1)   # (H, W, 3)
    return np.einsum("hwk,nck->nhwc", base, theta)


def _corners(x, grid):
    """The four bilinear neighbours of every grid point: indices, weights, validity."""
    H, W = x.shape[2], x.shape[3]
    ix = ((grid[..., 0] + 1) * W - 1) / 2                      # pixel coordinates
    iy = ((grid[..., 1] + 1) * H - 1) / 2
    x0, y0 = np.floor(ix).astype(int), np.floor(iy).astype(int)
    fx, fy = ix - x0, iy - y0
    corners = []
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            xc, yc = x0 + dx, y0 + dy
            valid = (xc >= 0) & (xc < W) & (yc >= 0) & (yc < H)
            corners.append((np.clip(yc, 0, H - 1), np.clip(xc, 0, W - 1),
                            wy, wx, valid, dy, dx))
    return corners


def grid_sample_forward(x, grid):
    """Bilinear sampling with zero padding, as F.grid_sample(align_corners=False).

    Args:
        x: (N, C, H_in, W_in); grid: (N, H_out, W_out, 2), (x, y) in [-1, 1].
    Returns:
        out: (N, C, H_out, W_out); cache.
    """
    check_array("grid_sample_forward", "x", x, ndim=4, floating=True,
                what="(N, C, H, W)")
    check_array("grid_sample_forward", "grid", grid, shape=(x.shape[0], None, None, 2),
                floating=True)
    n = np.arange(x.shape[0])[:, None, None]
    xt = x.transpose(0, 2, 3, 1)                               # (N, H, W, C)
    out = 0.0
    for yc, xc, wy, wx, valid, _, _ in _corners(x, grid):
        out = out + (wy * wx * valid)[..., None] * xt[n, yc, xc]
    return out.transpose(0, 3, 1, 2), (x, grid)


def grid_sample_backward(dout, cache):
    """Gradients (dx, dgrid) of grid_sample_forward."""
    x, grid = cache
    N, C, H, W = x.shape
    n = np.arange(N)[:, None, None]
    xt = x.transpose(0, 2, 3, 1)
    dt = dout.transpose(0, 2, 3, 1)                             # (N, Ho, Wo, C)
    dxt = np.zeros_like(xt)
    dix = np.zeros(grid.shape[:3])
    diy = np.zeros(grid.shape[:3])
    for yc, xc, wy, wx, valid, dy, dx in _corners(x, grid):
        np.add.at(dxt, (n, yc, xc), (wy * wx * valid)[..., None] * dt)
        g = np.sum(dt * xt[n, yc, xc], axis=-1) * valid          # dout . x[corner]
        dix += g * wy * (1 if dx else -1)                        # d wx / d ix = +-1
        diy += g * wx * (1 if dy else -1)
    dgrid = np.stack([dix * W / 2, diy * H / 2], axis=-1)
    return dxt.transpose(0, 3, 1, 2), dgrid
