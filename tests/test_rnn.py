"""dlnotes.ref RNN/LSTM/GRU against torch.nn and torch.autograd (float64), finite
differences, truncated BPTT, clip_grad_norm, the pt modules, and bad input."""
import numpy as np
import pytest
import torch
from torch import nn

from dlnotes import pt, ref, seqdata
from dlnotes.check import check_grads, check_parity, max_abs_diff

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
# (T, N, D, H)
SHAPES = [(1, 1, 3, 2), (5, 1, 2, 3), (4, 3, 3, 4), (6, 2, 1, 5)]


def _fns(kind, nonlinearity="tanh"):
    """forward(x, h0, [c0,] weights...) -> (out and final states flattened, cache),
    backward(dout, cache) and the torch function, in one layout for check_parity:
    the output checked is concat(out, h_n[, c_n]) along time, so the gradients
    through h_n and c_n are compared as well as those through out."""
    if kind == "rnn":
        def forward(x, h0, w_ih, w_hh, b_ih, b_hh):
            out, h_n, cache = ref.rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh,
                                              nonlinearity=nonlinearity)
            return np.concatenate([out, h_n[None]]), cache

        def backward(d, cache):
            return ref.rnn_backward(d[:-1], d[-1], cache)

        def torch_fn(x, h0, w_ih, w_hh, b_ih, b_hh):
            m = nn.RNN(x.shape[2], h0.shape[1], nonlinearity=nonlinearity).double()
            out, h_n = torch.func.functional_call(m, _params(w_ih, w_hh, b_ih, b_hh),
                                                  (x, h0[None]))
            return torch.cat([out, h_n])
    elif kind == "gru":
        def forward(x, h0, w_ih, w_hh, b_ih, b_hh):
            out, h_n, cache = ref.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
            return np.concatenate([out, h_n[None]]), cache

        def backward(d, cache):
            return ref.gru_backward(d[:-1], d[-1], cache)

        def torch_fn(x, h0, w_ih, w_hh, b_ih, b_hh):
            m = nn.GRU(x.shape[2], h0.shape[1]).double()
            out, h_n = torch.func.functional_call(m, _params(w_ih, w_hh, b_ih, b_hh),
                                                  (x, h0[None]))
            return torch.cat([out, h_n])
    else:
        def forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
            out, (h_n, c_n), cache = ref.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
            return np.concatenate([out, h_n[None], c_n[None]]), cache

        def backward(d, cache):
            return ref.lstm_backward(d[:-2], d[-2], d[-1], cache)

        def torch_fn(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
            m = nn.LSTM(x.shape[2], h0.shape[1]).double()
            out, (h_n, c_n) = torch.func.functional_call(
                m, _params(w_ih, w_hh, b_ih, b_hh), (x, (h0[None], c0[None])))
            return torch.cat([out, h_n, c_n])
    return forward, backward, torch_fn


def _params(w_ih, w_hh, b_ih, b_hh):
    return {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh, "bias_ih_l0": b_ih,
            "bias_hh_l0": b_hh}


def _shapes(kind, T, N, D, H):
    G = GATES[kind]
    states = [(N, H)] * (2 if kind == "lstm" else 1)
    return [(T, N, D), *states, (G * H, D), (G * H, H), (G * H,), (G * H,)]


CASES = [(k, s) for k in ("rnn", "lstm", "gru") for s in SHAPES]


@pytest.mark.parametrize("kind,shape", CASES)
def test_sequence_matches_torch(kind, shape):
    forward, backward, torch_fn = _fns(kind)
    check_parity(forward, backward, torch_fn, shapes=_shapes(kind, *shape))


def test_relu_rnn_matches_torch():
    forward, backward, torch_fn = _fns("rnn", "relu")
    check_parity(forward, backward, torch_fn, shapes=_shapes("rnn", 5, 3, 2, 4))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_sequence_finite_differences(kind):
    forward, backward, _ = _fns(kind)
    check_grads(forward, backward, shapes=_shapes(kind, 3, 2, 2, 3))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_step_finite_differences(kind):
    N, D, H = 2, 3, 2
    G = GATES[kind]
    if kind == "lstm":
        def forward(x, h, c, w_ih, w_hh, b_ih, b_hh):
            h2, c2, cache = ref.lstm_step_forward(x, h, c, w_ih, w_hh, b_ih, b_hh)
            return np.concatenate([h2, c2], 1), cache

        def backward(d, cache):
            return ref.lstm_step_backward(d[:, :H], d[:, H:], cache)
        states = [(N, H), (N, H)]
    else:
        step = getattr(ref, f"{kind}_step_forward")
        forward, backward = step, getattr(ref, f"{kind}_step_backward")
        states = [(N, H)]
    check_grads(forward, backward,
                shapes=[(N, D), *states, (G * H, D), (G * H, H), (G * H,), (G * H,)])


def test_step_matches_cell():
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    cell = nn.GRUCell(4, 5).double()
    w = [p.detach().numpy() for p in cell.parameters()]
    got, _ = ref.gru_step_forward(x, h, *w)
    assert max_abs_diff(got, cell(torch.tensor(x), torch.tensor(h))) < 1e-12


def test_no_bias_and_zero_initial_state():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2, 3))
    m = nn.LSTM(3, 5, bias=False).double()
    w_ih, w_hh = (p.detach().numpy() for p in m.parameters())
    out, (h, c), cache = ref.lstm_forward(x, None, None, w_ih, w_hh, None, None)
    assert max_abs_diff(out, m(torch.tensor(x))[0]) < 1e-12
    grads = ref.lstm_backward(np.ones_like(out), None, None, cache)
    assert grads[-1] is None and grads[-2] is None


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_fast_sequence_equals_looped_steps(kind):
    """lstm/gru_forward and _backward are arranged for speed (input products and
    weight gradients hoisted out of the time loop); they must compute exactly
    what looping the readable step functions computes, and keep float32."""
    rng = np.random.default_rng(5)
    T, N, D, H = 4, 3, 2, 5
    G, n_states = GATES[kind], 2 if kind == "lstm" else 1
    x = rng.standard_normal((T, N, D))
    states = list(rng.standard_normal((n_states, N, H)))
    w = [rng.standard_normal(s) for s in ((G * H, D), (G * H, H), (G * H,), (G * H,))]
    dout, dstates = rng.standard_normal((T, N, H)), list(rng.standard_normal(
        (n_states, N, H)))
    step_f, step_b = (getattr(ref, f"{kind}_step_{s}") for s in ("forward", "backward"))
    s, outs, caches = states, [], []
    for t in range(T):
        *s, cache = step_f(x[t], *s, *w)
        outs.append(s[0])
        caches.append(cache)
    ds, dx, dw = list(dstates), [None] * T, 0
    for t in reversed(range(T)):
        ds[0] = ds[0] + dout[t]
        dx[t], *rest = step_b(*ds, caches[t])
        ds, dw = rest[:n_states], [a + b for a, b in zip(rest[n_states:], dw or
                                                          [0] * 4)]
    if kind == "lstm":
        out, (h_n, c_n), cache = ref.lstm_forward(x, *states, *w)
        got = ref.lstm_backward(dout, *dstates, cache)
        finals = [h_n, c_n]
    else:
        out, h_n, cache = ref.gru_forward(x, *states, *w)
        got = ref.gru_backward(dout, *dstates, cache)
        finals = [h_n]
    assert max_abs_diff(out, np.stack(outs)) < 1e-13
    for a, b in zip(finals, s):
        assert max_abs_diff(a, b) < 1e-13
    for a, b in zip(got, [np.stack(dx), *ds, *dw]):
        assert max_abs_diff(a, b) < 1e-12
    f32 = [a.astype(np.float32) for a in (x, *states, *w)]
    out32 = getattr(ref, f"{kind}_forward")(*f32)[0]
    assert out32.dtype == np.float32
    assert max_abs_diff(out32, out) < 1e-5


def _stack_ref(kind, x, module):
    """A multi-layer bidirectional sequence through the ref functions, weights
    taken from a torch module: the output and final states in torch's layout."""
    H, L = module.hidden_size, module.num_layers
    dirs = 2 if module.bidirectional else 1
    sd = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    inp, h_n = x, []
    for layer in range(L):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = [sd[f"{n}{sfx}"] for n in ("weight_ih", "weight_hh", "bias_ih",
                                           "bias_hh")]
            seq = inp[::-1] if d else inp
            if kind == "lstm":
                out, (h, _), _ = ref.lstm_forward(seq, None, None, *w)
            else:
                out, h, _ = getattr(ref, f"{kind}_forward")(seq, None, *w)
            outs.append(out[::-1] if d else out)
            h_n.append(h)
        inp = np.concatenate(outs, axis=2)
    return inp, np.stack(h_n)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_stacked_bidirectional_matches_torch(kind):
    torch.manual_seed(0)
    module = getattr(nn, kind.upper())(3, 4, num_layers=2, bidirectional=True).double()
    x = np.random.default_rng(2).standard_normal((5, 2, 3))
    out, h_n = _stack_ref(kind, x, module)
    t_out, t_h = module(torch.tensor(x))
    t_h = t_h[0] if kind == "lstm" else t_h
    assert max_abs_diff(out, t_out) < 1e-12
    assert max_abs_diff(h_n, t_h) < 1e-12


def test_truncated_bptt_matches_detach():
    rng = np.random.default_rng(3)
    T, N, D, H, k = 7, 2, 3, 4, 3
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    w = [rng.standard_normal(s) * 0.5 for s in ((H, D), (H, H), (H,), (H,))]
    out, h_n, cache = ref.rnn_forward(x, h0, *w)
    dout = rng.standard_normal(out.shape)
    grads = ref.rnn_backward(dout, None, cache, truncate=k)
    tw = [torch.tensor(a, requires_grad=True) for a in w]
    tx, th = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    h, outs = th, []
    for t in range(T):
        if t % k == 0 and t > 0:
            h = h.detach()
        h = torch.tanh(tx[t] @ tw[0].T + tw[2] + h @ tw[1].T + tw[3])
        outs.append(h)
    expected = torch.autograd.grad(torch.stack(outs), [tx, th, *tw], torch.tensor(dout))
    for g, e in zip(grads, expected):
        assert max_abs_diff(g, e) < 1e-12
    full = ref.rnn_backward(dout, None, cache)
    assert max_abs_diff(full[3], grads[3]) > 1e-3      # truncation drops something


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(4)
    grads = [rng.standard_normal(s) for s in ((3, 4), (5,), (2, 2))]
    for max_norm in (0.5, 1e3):
        ps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
              for g in grads]
        for p, g in zip(ps, grads):
            p.grad = torch.tensor(g)
        total_t = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        clipped, total = ref.clip_grad_norm(grads, max_norm)
        assert abs(total - total_t.item()) < 1e-12
        for c, p in zip(clipped, ps):
            assert max_abs_diff(c, p.grad) < 1e-12


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers,bidirectional,batch_first", [
    (1, False, False), (2, True, False), (2, False, True), (1, True, True)])
def test_pt_modules_load_builtin_state_dict(kind, layers, bidirectional, batch_first):
    torch.manual_seed(0)
    kw = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    builtin = getattr(nn, kind)(3, 4, **kw).double()
    ours = getattr(pt, kind)(3, 4, **kw).double()
    assert list(ours.state_dict()) == list(builtin.state_dict())
    ours.load_state_dict(builtin.state_dict())
    x = torch.randn((2, 5, 3) if batch_first else (5, 2, 3), dtype=torch.float64)
    dirs = 2 if bidirectional else 1
    h0 = torch.randn(layers * dirs, 2, 4, dtype=torch.float64)
    hx = (h0, torch.randn_like(h0)) if kind == "LSTM" else h0
    (o1, s1), (o2, s2) = ours(x, hx), builtin(x, hx)
    assert max_abs_diff(o1, o2) < 1e-12
    for a, b in zip(s1 if kind == "LSTM" else [s1], s2 if kind == "LSTM" else [s2]):
        assert max_abs_diff(a, b) < 1e-12
    g1 = torch.autograd.grad(o1.sum(), list(ours.parameters()))
    g2 = torch.autograd.grad(o2.sum(), list(builtin.parameters()))
    assert max(max_abs_diff(a, b) for a, b in zip(g1, g2)) < 1e-10


def test_pt_models_shapes():
    lm = pt.CharLM(30, embed=8, hidden=16)
    assert lm(torch.zeros(4, 7, dtype=torch.long)).shape == (4, 7, 30)
    fc = pt.Forecaster(hidden=8)
    assert fc(torch.zeros(5, 12, 1)).shape == (5,)


def test_seqdata_helpers():
    rng = np.random.default_rng(0)
    X, y = seqdata.adding_problem(50, 10, rng)
    assert X.shape == (50, 10, 2) and (X[:, :, 1].sum(1) == 2).all()
    np.testing.assert_allclose(y, (X[:, :, 0] * X[:, :, 1]).sum(1))
    vocab = seqdata.CharVocab(["ab", "ba", "c"])
    assert vocab.decode(vocab.encode("cab")) == "cab" and len(vocab) == 4
    inp, tgt = vocab.batch(["ab", "c"])
    assert inp.shape == tgt.shape == (2, 3)
    assert tgt[1, 2] == -100 and inp[0, 0] == 0 and tgt[0, 2] == 0
    Xw, yw = seqdata.windows(np.arange(10.0), 3)
    assert Xw.shape == (7, 3, 1) and yw[0] == 3 and Xw[-1, -1, 0] == 8


@pytest.mark.parametrize("call,match", [
    (lambda x, h, w: ref.lstm_forward(x, h, h, w[:6], np.zeros((8, 2)), None, None),
     r"lstm_forward: weight_ih must have shape \(4H, D\) = \(8, 3\)"),
    (lambda x, h, w: ref.rnn_forward(x, h[:1], np.zeros((2, 3)), np.zeros((2, 2)),
                                     None, None),
     r"rnn_forward: h0 and x must have the same batch size N, got 1 and 2"),
    (lambda x, h, w: ref.rnn_forward(x, h, np.zeros((2, 3)), np.zeros((2, 2)), None,
                                     None, nonlinearity="sigmoid"),
     r"rnn_forward: unknown nonlinearity 'sigmoid'"),
    (lambda x, h, w: ref.gru_forward(x[0], h, np.zeros((6, 3)), np.zeros((6, 2)),
                                     None, None),
     r"gru_forward: x must be 3-D \(T, N, D\)"),
    (lambda x, h, w: ref.gru_forward(x, h, np.zeros((6, 3)), np.zeros((6, 2)),
                                     np.zeros(4), None),
     r"gru_forward: bias_ih must have shape \(3H,\) = \(6,\)"),
    (lambda x, h, w: ref.clip_grad_norm([np.ones(2)], 0.0),
     r"clip_grad_norm: max_norm must be in \(0"),
])
def test_bad_input(call, match):
    x, h, w = np.zeros((4, 2, 3)), np.zeros((2, 2)), np.zeros((8, 3))
    with pytest.raises(ValueError, match=match):
        call(x, h, w)


def test_pt_bad_input():
    with pytest.raises(ValueError, match="LSTM: x must be 3-D"):
        pt.LSTM(3, 4)(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="RNN: unknown nonlinearity"):
        pt.RNN(3, 4, nonlinearity="sigmoid")
