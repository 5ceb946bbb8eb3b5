"""Recurrent layers in NumPy: vanilla RNN, LSTM and GRU, forward and BPTT backward.

Layouts are PyTorch's exactly, so a built-in's weights plug in unchanged:
sequences are (T, N, D) (``batch_first=False``), states (N, H); ``weight_ih`` is
(G*H, D) and ``weight_hh`` (G*H, H) with G gate blocks stacked as in torch.nn:
RNN G = 1; LSTM G = 4 in the order i, f, g, o; GRU G = 3 in the order r, z, n,
with PyTorch's GRU variant n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) (the
reset gate multiplies the hidden matmul's result, not h itself).

Each cell has a step pair (``*_step_forward`` / ``*_step_backward``), the
readable form the chapter teaches. The sequence functions run one layer in one
direction (stack calls for more): ``rnn_forward``/``rnn_backward`` loop the step
pair over time; ``lstm_*`` and ``gru_*`` compute exactly what that loop would,
arranged for speed (the input products of all steps in one matmul before the
loop, the weight gradients and dx in one matmul each after it, one tanh call for
all gates, preallocated buffers, the inputs' dtype kept; the tests check them
against the looped steps). ``rnn_backward(..., truncate=k)`` gives truncated
BPTT. A bias may be None (its gradient is then None). ``clip_grad_norm`` mirrors
``torch.nn.utils.clip_grad_norm_``.
"""
import numpy as np

from .._validate import check_array, check_choice, check_positive

__all__ = ["sigmoid", "rnn_step_forward", "rnn_step_backward", "rnn_forward",
           "rnn_backward", "lstm_step_forward", "lstm_step_backward", "lstm_forward",
           "lstm_backward", "gru_step_forward", "gru_step_backward", "gru_forward",
           "gru_backward", "clip_grad_norm"]


def sigmoid(a):
    """Logistic function 1 / (1 + e^-a), computed without overflow."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _affine(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """x @ W_ih.T + b_ih and h @ W_hh.T + b_hh, the two halves of every cell."""
    gi = x @ weight_ih.T
    gh = h @ weight_hh.T
    if bias_ih is not None:
        gi = gi + bias_ih
    if bias_hh is not None:
        gh = gh + bias_hh
    return gi, gh


def _affine_backward(dgi, dgh, x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Gradients of _affine: dx, dh, dW_ih, dW_hh, db_ih, db_hh."""
    return (dgi @ weight_ih, dgh @ weight_hh, dgi.T @ x, dgh.T @ h,
            None if bias_ih is None else dgi.sum(0),
            None if bias_hh is None else dgh.sum(0))


def _check(func, x, states, weight_ih, weight_hh, bias_ih, bias_hh, gates, labels,
           *, step):
    """Shared checks. Returns the states with None replaced by zeros."""
    shape = "(N, D)" if step else "(T, N, D)"
    check_array(func, "x", x, ndim=2 if step else 3, floating=True, what=shape)
    check_array(func, "weight_hh", weight_hh, ndim=2, floating=True)
    H = weight_hh.shape[1]
    D, N = x.shape[-1], x.shape[-2]
    g = "" if gates == 1 else f"{gates}"
    for name, w, cols, c in (("weight_ih", weight_ih, D, "D"),
                             ("weight_hh", weight_hh, H, "H")):
        check_array(func, name, w, ndim=2, floating=True)
        if w.shape != (gates * H, cols):
            raise ValueError(f"{func}: {name} must have shape ({g}H, {c}) = "
                             f"({gates * H}, {cols}) for H = {H}, D = {D}"
                             f"{labels}, got {tuple(w.shape)}")
    for name, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if b is not None:
            check_array(func, name, b, ndim=1, floating=True)
            if b.shape != (gates * H,):
                raise ValueError(f"{func}: {name} must have shape ({g}H,) = "
                                 f"({gates * H},), got {tuple(b.shape)}")
    out = []
    for name, s in states:
        if s is None:
            s = np.zeros((N, H), dtype=x.dtype)
        check_array(func, name, s, ndim=2, floating=True, what="(N, H)")
        if s.shape[0] != N:
            raise ValueError(f"{func}: {name} and x must have the same batch size N, "
                             f"got {s.shape[0]} and {N}")
        if s.shape[1] != H:
            raise ValueError(f"{func}: {name} must have H = {H} columns (weight_hh "
                             f"is {tuple(weight_hh.shape)}), got {tuple(s.shape)}")
        out.append(s)
    return out


def _dtype(*arrays):
    """The common dtype of the arrays given (None entries skipped)."""
    return np.result_type(*(a for a in arrays if a is not None))


def _gate_scales(H, dtype, blocks, tanh_blocks):
    """Per-column constants that let one tanh call compute every gate block.

    sigmoid(a) = (1 + tanh(a / 2)) / 2: a sigmoid block is scaled by 1/2 before
    the tanh and mapped u -> u / 2 + 1/2 after it; a tanh block keeps scale 1 and
    shift 0. Returns (scale, shift), each (len(blocks) * H,).
    """
    scale = np.repeat([1.0 if b in tanh_blocks else 0.5 for b in blocks], H)
    return scale.astype(dtype), (1 - scale).astype(dtype) * (scale == 0.5)


def _input_products(x, weight_ih, bias_ih, bias_hh, dtype):
    """x_t @ W_ih.T + the biases for every step at once: one (T*N, D) matmul.

    The input half of each cell does not depend on the state, so it can leave
    the time loop. Returns (T, N, G*H), a new array of ``dtype``.
    """
    T, N, D = x.shape
    a = (x.reshape(T * N, D) @ np.ascontiguousarray(weight_ih.T)).astype(dtype,
                                                                       copy=False)
    for b in (bias_ih, bias_hh):
        if b is not None:
            a += b
    return a.reshape(T, N, -1)


# ---------------------------------------------------------------- vanilla RNN

def _rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity):
    gi, gh = _affine(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    a = gi + gh
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return h, (x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity, h)


def rnn_step_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, *,
                     nonlinearity="tanh"):
    """One step h = f(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh), f = tanh or relu.

    Args:
        x: (N, D); h_prev: (N, H); weight_ih: (H, D); weight_hh: (H, H);
        bias_ih, bias_hh: (H,) or None.
    Returns:
        h: (N, H); cache for rnn_step_backward.
    """
    check_choice("rnn_step_forward", "nonlinearity", nonlinearity, ("tanh", "relu"))
    (h_prev,) = _check("rnn_step_forward", x, [("h_prev", h_prev)], weight_ih,
                       weight_hh, bias_ih, bias_hh, 1, "", step=True)
    return _rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity)


def rnn_step_backward(dh, cache):
    """Gradients of rnn_step_forward: dx, dh_prev, dweight_ih, dweight_hh, dbias_ih,
    dbias_hh."""
    x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity, h = cache
    da = dh * (1 - h ** 2) if nonlinearity == "tanh" else dh * (h > 0)
    return _affine_backward(da, da, x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)


def rnn_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, *, nonlinearity="tanh"):
    """A one-layer RNN over a sequence, as ``nn.RNN`` (one direction).

    Args:
        x: (T, N, D); h0: (N, H) or None (zeros); weights as rnn_step_forward.
    Returns:
        out: (T, N, H), the hidden state at every step; h_n: (N, H) = out[-1];
        cache for rnn_backward.
    """
    check_choice("rnn_forward", "nonlinearity", nonlinearity, ("tanh", "relu"))
    (h,) = _check("rnn_forward", x, [("h0", h0)], weight_ih, weight_hh, bias_ih,
                  bias_hh, 1, "", step=False)
    out, caches = [], []
    for x_t in x:
        h, c = _rnn_step(x_t, h, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity)
        out.append(h)
        caches.append(c)
    return np.stack(out), h, caches


def _through_time(step_backward, douts, dstate, caches, n_params, truncate=None):
    """BPTT: walk the steps backwards, carrying the state gradient(s).

    ``dstate`` is a list (one array per state: h, or h and c); douts adds to the
    first. Parameter gradients are summed over time. With ``truncate=k`` the
    state gradient is cut where the forward pass starts a new chunk of k steps
    (at t = k, 2k, ...), like ``h = h.detach()`` every k steps in PyTorch.
    """
    T = len(caches)
    dxs = [None] * T
    dparams = [None] * n_params
    for t in reversed(range(T)):
        dstate[0] = dstate[0] + douts[t]
        grads = step_backward(*dstate, caches[t])
        dxs[t] = grads[0]
        dstate = list(grads[1:1 + len(dstate)])
        for i, g in enumerate(grads[1 + len(dstate):]):
            if g is not None:
                dparams[i] = g if dparams[i] is None else dparams[i] + g
        if truncate is not None and t % truncate == 0 and t > 0:
            dstate = [np.zeros_like(d) for d in dstate]
    return np.stack(dxs), dstate, dparams


def _dstate(d, like):
    return np.zeros_like(like) if d is None else d


def rnn_backward(dout, dh_n, cache, *, truncate=None):
    """Backpropagation through time for rnn_forward.

    Args:
        dout: (T, N, H), gradient of the loss with respect to out.
        dh_n: (N, H) gradient with respect to h_n, or None.
        truncate: None for full BPTT; k cuts the gradient through h between
            chunks of k steps (truncated BPTT), as detaching h every k steps.
    Returns:
        dx (T, N, D), dh0 (N, H), dweight_ih, dweight_hh, dbias_ih, dbias_hh.
    """
    if truncate is not None:
        check_positive("rnn_backward", "truncate", truncate, integer=True)
    dx, (dh0,), dp = _through_time(rnn_step_backward, dout,
                                   [_dstate(dh_n, dout[0])], cache, 4, truncate)
    return (dx, dh0, *dp)


# ---------------------------------------------------------------------- LSTM

def _lstm_step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    gi, gh = _affine(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    a_i, a_f, a_g, a_o = np.split(gi + gh, 4, axis=1)      # torch's order i, f, g, o
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g                                  # the forget gate f_t, not i
    tc = np.tanh(c)
    h = o * tc
    return h, c, (x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh,
                  i, f, g, o, tc)


def lstm_step_forward(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step, gates stacked i, f, g, o as in ``nn.LSTM``.

    i, f, o = sigmoid(...), g = tanh(...), each of x @ W.T + h_prev @ U.T + b_ih + b_hh;
    c = f * c_prev + i * g; h = o * tanh(c).

    Args:
        x: (N, D); h_prev, c_prev: (N, H); weight_ih: (4H, D); weight_hh: (4H, H);
        bias_ih, bias_hh: (4H,) or None.
    Returns:
        h, c: (N, H); cache for lstm_step_backward.
    """
    h_prev, c_prev = _check("lstm_step_forward", x, [("h_prev", h_prev),
                            ("c_prev", c_prev)], weight_ih, weight_hh, bias_ih,
                            bias_hh, 4, " (gates i, f, g, o)", step=True)
    return _lstm_step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh)


def lstm_step_backward(dh, dc, cache):
    """Gradients of lstm_step_forward: dx, dh_prev, dc_prev, dweight_ih, dweight_hh,
    dbias_ih, dbias_hh."""
    x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, i, f, g, o, tc = cache
    dc = dc + dh * o * (1 - tc ** 2)
    da = np.concatenate([dc * g * i * (1 - i),           # input gate
                         dc * c_prev * f * (1 - f),      # forget gate
                         dc * i * (1 - g ** 2),          # candidate
                         dh * tc * o * (1 - o)], axis=1)  # output gate
    dx, dh_prev, *dp = _affine_backward(da, da, x, h_prev, weight_ih, weight_hh,
                                        bias_ih, bias_hh)
    return (dx, dh_prev, dc * f, *dp)


def lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
    """A one-layer LSTM over a sequence, as ``nn.LSTM`` (one direction).

    Computes what looping lstm_step_forward over time computes, arranged for
    speed: the input products of all steps in one matmul before the loop, and
    one tanh per step for all four gates (sigmoid(a) = (1 + tanh(a / 2)) / 2).
    The result has the inputs' common dtype (float32 stays float32).

    Args:
        x: (T, N, D); h0, c0: (N, H) or None (zeros); weights as lstm_step_forward.
    Returns:
        out: (T, N, H); (h_n, c_n): (N, H) each; cache for lstm_backward.
    """
    h, c = _check("lstm_forward", x, [("h0", h0), ("c0", c0)], weight_ih, weight_hh,
                  bias_ih, bias_hh, 4, " (gates i, f, g, o)", step=False)
    dtype = _dtype(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
    T, N, _ = x.shape
    H = weight_hh.shape[1]
    scale, shift = _gate_scales(H, dtype, "ifgo", "g")
    gates = _input_products(x, weight_ih, bias_ih, bias_hh, dtype)   # (T, N, 4H)
    gates *= scale
    # scaled by 1/2 (exact) and transposed once: a contiguous matrix multiplies faster
    w_hh = np.ascontiguousarray((weight_hh * scale[:, None]).T, dtype)
    hs, cs = np.empty((T + 1, N, H), dtype), np.empty((T + 1, N, H), dtype)
    tcs, ig = np.empty((T, N, H), dtype), np.empty((N, H), dtype)
    hs[0], cs[0] = h, c
    for t in range(T):
        a = gates[t]
        a += hs[t] @ w_hh
        np.tanh(a, out=a)                      # all four gates with one call
        a *= scale
        a += shift                             # now i, f, g, o
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        np.multiply(f, cs[t], out=cs[t + 1])   # c = f * c_prev + i * g
        cs[t + 1] += np.multiply(i, g, out=ig)
        np.tanh(cs[t + 1], out=tcs[t])
        np.multiply(o, tcs[t], out=hs[t + 1])  # h = o * tanh(c)
    cache = (x, weight_ih, weight_hh, bias_ih, bias_hh, hs, cs, gates, tcs)
    return hs[1:].copy(), (hs[-1].copy(), cs[-1].copy()), cache  # the cache keeps hs


def lstm_backward(dout, dh_n, dc_n, cache):
    """BPTT for lstm_forward; dh_n, dc_n may be None.

    The same gradients as lstm_step_backward walked back over time, arranged for
    speed: the gates' local derivatives for all steps before the loop, one
    hidden matmul per step inside it, and the weight gradients and dx after it,
    each one matmul over all steps (a sum over time is a sum over rows).

    Returns:
        dx, dh0, dc0, dweight_ih, dweight_hh, dbias_ih, dbias_hh.
    """
    x, weight_ih, weight_hh, bias_ih, bias_hh, hs, cs, gates, tcs = cache
    T, N, H = tcs.shape
    i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
    deriv = gates * (1 - gates)                      # sigmoid' = s (1 - s)
    deriv[..., 2 * H:3 * H] = 1 - g ** 2             # tanh' = 1 - g^2
    o_dtanh = o * (1 - tcs ** 2)                     # dh -> dc through o * tanh(c)
    dgates = np.empty_like(gates)
    dh = np.zeros((N, H), gates.dtype) if dh_n is None else np.array(dh_n, gates.dtype)
    dc = np.zeros((N, H), gates.dtype) if dc_n is None else np.array(dc_n, gates.dtype)
    w_hh = weight_hh.astype(gates.dtype, copy=False)
    for t in reversed(range(T)):
        dh += dout[t]
        dc += dh * o_dtanh[t]
        da = dgates[t]
        np.multiply(dc, g[t], out=da[:, :H])                 # input gate
        np.multiply(dc, cs[t], out=da[:, H:2 * H])           # forget gate
        np.multiply(dc, i[t], out=da[:, 2 * H:3 * H])        # candidate
        np.multiply(dh, tcs[t], out=da[:, 3 * H:])           # output gate
        da *= deriv[t]
        dc *= f[t]
        np.matmul(da, w_hh, out=dh)
    flat = dgates.reshape(T * N, 4 * H)
    dx = (flat @ weight_ih).reshape(x.shape)
    dw_ih = flat.T @ x.reshape(T * N, -1)
    dw_hh = flat.T @ hs[:-1].reshape(T * N, H)
    db = flat.sum(0)
    return (dx, dh, dc, dw_ih, dw_hh, None if bias_ih is None else db,
            None if bias_hh is None else db.copy())


# ----------------------------------------------------------------------- GRU

def _gru_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    gi, gh = _affine(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    i_r, i_z, i_n = np.split(gi, 3, axis=1)                 # torch's order r, z, n
    h_r, h_z, h_n = np.split(gh, 3, axis=1)
    r, z = sigmoid(i_r + h_r), sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)                              # reset after the matmul
    h = (1 - z) * n + z * h_prev
    return h, (x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, r, z, n, h_n)


def gru_step_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One GRU step in PyTorch's variant, gates stacked r, z, n as in ``nn.GRU``.

    r, z = sigmoid(...); n = tanh(W_in x + b_in + r * (W_hn h_prev + b_hn));
    h = (1 - z) * n + z * h_prev.

    Args:
        x: (N, D); h_prev: (N, H); weight_ih: (3H, D); weight_hh: (3H, H);
        bias_ih, bias_hh: (3H,) or None.
    Returns:
        h: (N, H); cache for gru_step_backward.
    """
    (h_prev,) = _check("gru_step_forward", x, [("h_prev", h_prev)], weight_ih,
                       weight_hh, bias_ih, bias_hh, 3, " (gates r, z, n)", step=True)
    return _gru_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)


def gru_step_backward(dh, cache):
    """Gradients of gru_step_forward: dx, dh_prev, dweight_ih, dweight_hh, dbias_ih,
    dbias_hh."""
    x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, r, z, n, h_n = cache
    dn = dh * (1 - z) * (1 - n ** 2)                        # through tanh
    dz = dh * (h_prev - n) * z * (1 - z)
    dr = dn * h_n * r * (1 - r)
    dgi = np.concatenate([dr, dz, dn], axis=1)
    dgh = np.concatenate([dr, dz, dn * r], axis=1)
    dx, dh_prev, *dp = _affine_backward(dgi, dgh, x, h_prev, weight_ih, weight_hh,
                                        bias_ih, bias_hh)
    return (dx, dh_prev + dh * z, *dp)


def gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    """A one-layer GRU over a sequence, as ``nn.GRU`` (one direction).

    Computes what looping gru_step_forward over time computes, arranged for speed
    as lstm_forward is: the input products of all steps in one matmul before the
    loop, one tanh for both sigmoid gates. The result keeps the inputs' dtype.

    Args:
        x: (T, N, D); h0: (N, H) or None (zeros); weights as gru_step_forward.
    Returns:
        out: (T, N, H); h_n: (N, H); cache for gru_backward.
    """
    (h,) = _check("gru_forward", x, [("h0", h0)], weight_ih, weight_hh, bias_ih,
                  bias_hh, 3, " (gates r, z, n)", step=False)
    dtype = _dtype(x, h, weight_ih, weight_hh, bias_ih, bias_hh)
    T, N, _ = x.shape
    H = weight_hh.shape[1]
    scale, _ = _gate_scales(H, dtype, "rzn", "n")
    gates = _input_products(x, weight_ih, bias_ih, None, dtype)      # (T, N, 3H)
    gates *= scale
    w_hh = np.ascontiguousarray((weight_hh * scale[:, None]).T, dtype)
    b_hh = np.zeros(3 * H, dtype) if bias_hh is None else bias_hh * scale
    hs, hidden_n = np.empty((T + 1, N, H), dtype), np.empty((T, N, H), dtype)
    gh, tmp = np.empty((N, 3 * H), dtype), np.empty((N, H), dtype)
    hs[0] = h
    for t in range(T):
        np.matmul(hs[t], w_hh, out=gh)
        gh += b_hh                             # h @ W_hh.T + b_hh, r and z halved
        rz, n = gates[t, :, :2 * H], gates[t, :, 2 * H:]
        rz += gh[:, :2 * H]
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5                              # sigmoid, for r and z at once
        hidden_n[t] = gh[:, 2 * H:]
        n += np.multiply(rz[:, :H], hidden_n[t], out=tmp)   # reset after the matmul
        np.tanh(n, out=n)
        np.subtract(hs[t], n, out=hs[t + 1])   # h = n + z * (h_prev - n)
        hs[t + 1] *= rz[:, H:]
        hs[t + 1] += n
    cache = (x, weight_ih, weight_hh, bias_ih, bias_hh, hs, gates, hidden_n)
    return hs[1:].copy(), hs[-1].copy(), cache      # the cache keeps hs


def gru_backward(dout, dh_n, cache):
    """BPTT for gru_forward; dh_n may be None.

    The same gradients as gru_step_backward walked back over time, with the
    local derivatives computed for all steps before the loop and the weight
    gradients and dx as one matmul each after it.

    Returns:
        dx, dh0, dweight_ih, dweight_hh, dbias_ih, dbias_hh.
    """
    x, weight_ih, weight_hh, bias_ih, bias_hh, hs, gates, hidden_n = cache
    T, N, H = hidden_n.shape
    r, z, n = (gates[..., k * H:(k + 1) * H] for k in range(3))
    to_n = (1 - z) * (1 - n ** 2)                    # dh -> da_n through tanh
    to_z = (hs[:-1] - n) * z * (1 - z)               # dh -> da_z
    to_r = hidden_n * r * (1 - r)                    # da_n -> da_r
    dgi, dgh = np.empty_like(gates), np.empty_like(gates)
    dh = np.zeros((N, H), gates.dtype) if dh_n is None else np.array(dh_n, gates.dtype)
    w_hh = weight_hh.astype(gates.dtype, copy=False)
    for t in reversed(range(T)):
        dh += dout[t]
        dn, dgh_t = dgi[t, :, 2 * H:], dgh[t]
        np.multiply(dh, to_n[t], out=dn)
        np.multiply(dn, to_r[t], out=dgh_t[:, :H])           # reset gate
        np.multiply(dh, to_z[t], out=dgh_t[:, H:2 * H])      # update gate
        np.multiply(dn, r[t], out=dgh_t[:, 2 * H:])          # hidden part of n
        dh *= z[t]                                           # the direct path
        dh += dgh_t @ w_hh
    dgi[..., :2 * H] = dgh[..., :2 * H]              # r and z: the same in both
    fi, fh = dgi.reshape(T * N, 3 * H), dgh.reshape(T * N, 3 * H)
    dx = (fi @ weight_ih).reshape(x.shape)
    return (dx, dh, fi.T @ x.reshape(T * N, -1), fh.T @ hs[:-1].reshape(T * N, H),
            None if bias_ih is None else fi.sum(0),
            None if bias_hh is None else fh.sum(0))


# ------------------------------------------------------------------ clipping

def clip_grad_norm(grads, max_norm):
    """Scale all gradients together so their joint L2 norm is at most max_norm.

    As ``torch.nn.utils.clip_grad_norm_``: the norm is taken over all arrays at
    once, the scale is min(1, max_norm / (norm + 1e-6)), and the norm returned is
    the one *before* clipping.

    Args:
        grads: a list of arrays (None entries are passed through).
        max_norm: > 0.
    Returns:
        clipped: a new list of arrays; total_norm: float.
    """
    check_positive("clip_grad_norm", "max_norm", max_norm)
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"clip_grad_norm: grads must be a list of arrays, "
                        f"got {type(grads).__name__}")
    total = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads if g is not None)))
    scale = min(1.0, max_norm / (total + 1e-6))
    return [None if g is None else g * scale for g in grads], total
