"""Chapter 01: activations, losses, linear, MLP, initialisers, metrics, autodiff."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlnotes import pt, ref
from dlnotes.check import check_grads, check_parity
from dlnotes.ref.autodiff import Value

SHAPES = [(1, 5), (4, 7), (3, 2, 4)]           # batch size 1 included

# name -> (forward, backward, torch function, hyperparameters)
ACTS = {
    "sigmoid": (ref.sigmoid_forward, ref.sigmoid_backward, torch.sigmoid, {}),
    "tanh": (ref.tanh_forward, ref.tanh_backward, torch.tanh, {}),
    "relu": (ref.relu_forward, ref.relu_backward, F.relu, {}),
    "leaky_relu": (ref.leaky_relu_forward, ref.leaky_relu_backward,
                   lambda x, slope: F.leaky_relu(x, slope), {"slope": 0.2}),
    "softplus": (ref.softplus_forward, ref.softplus_backward, F.softplus, {}),
    "elu": (ref.elu_forward, ref.elu_backward,
            lambda x, alpha: F.elu(x, alpha), {"alpha": 0.7}),
    "selu": (ref.selu_forward, ref.selu_backward, F.selu, {}),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ACTS)
def test_activation_matches_torch_and_finite_differences(name, shape):
    fwd, bwd, tfn, hp = ACTS[name]
    check_parity(fwd, bwd, tfn, shapes=[shape], **hp)
    check_grads(fwd, bwd, shapes=[shape], **hp)


@pytest.mark.parametrize("a_shape", [(1,), (3,)])
def test_prelu_matches_torch(a_shape):
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    a = np.full(a_shape, 0.25) + np.arange(a_shape[0]) * 0.1
    check_parity(ref.prelu_forward, ref.prelu_backward, F.prelu, x, a)
    check_grads(ref.prelu_forward, ref.prelu_backward, x, a)


@pytest.mark.parametrize("a,expected", [(0.0, "relu"), (0.01, "leaky"), (-1.0, "abs")])
def test_prelu_family_members(a, expected):
    x = np.linspace(-3, 3, 13)
    out, _ = ref.prelu_forward(x, a)
    want = {"relu": np.maximum(x, 0), "leaky": np.where(x > 0, x, 0.01 * x),
            "abs": np.abs(x)}[expected]
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-15)


def test_sigmoid_and_tanh_derivative_ranges():
    x = np.linspace(-20, 20, 4001)
    ds = ref.sigmoid_backward(np.ones_like(x), ref.sigmoid_forward(x)[1])
    dt = ref.tanh_backward(np.ones_like(x), ref.tanh_forward(x)[1])
    assert ds.min() >= 0 and ds.max() == 0.25
    assert dt.min() >= 0 and dt.max() == 1.0


@pytest.mark.parametrize("scale", [1.0, 1000.0])
@pytest.mark.parametrize("shape", [(1, 4), (5, 3)])
def test_softmax_matches_torch_and_stays_finite(shape, scale):
    z = np.random.default_rng(2).standard_normal(shape) * scale
    for axis in (-1, 0):
        p, lp = ref.softmax(z, axis=axis), ref.log_softmax(z, axis=axis)
        assert np.all(np.isfinite(p)) and np.all(np.isfinite(lp))
        np.testing.assert_allclose(p, torch.softmax(torch.tensor(z), axis).numpy(),
                                   rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(lp, torch.log_softmax(torch.tensor(z), axis).numpy(),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("m,C,scale", [(1, 3, 1.0), (6, 4, 1.0), (5, 10, 1000.0)])
def test_cross_entropy_matches_torch(m, C, scale):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((m, C)) * scale
    y = rng.integers(0, C, size=m)
    d = check_parity(ref.cross_entropy_forward, ref.cross_entropy_backward, F.cross_entropy,
                     logits, y, wrt=[0])
    assert np.isfinite(ref.cross_entropy_forward(logits, y)[0])
    if scale == 1.0:
        check_grads(ref.cross_entropy_forward, ref.cross_entropy_backward, logits, y, wrt=[0])
    else:
        assert d["out"] < 1e-9


def test_cross_entropy_gradient_is_p_minus_onehot_over_m():
    rng = np.random.default_rng(4)
    logits, y = rng.standard_normal((7, 5)), rng.integers(0, 5, size=7)
    _, cache = ref.cross_entropy_forward(logits, y)
    want = (ref.softmax(logits) - ref.one_hot(y, 5)) / 7
    np.testing.assert_allclose(ref.cross_entropy_backward(1.0, cache), want, atol=1e-16)
    np.testing.assert_allclose(ref.cross_entropy_backward(cache=cache), want, atol=1e-16)


REG = {
    "mse": (ref.mse_forward, ref.mse_backward, F.mse_loss, {}),
    "mae": (ref.mae_forward, ref.mae_backward, F.l1_loss, {}),
    "huber": (ref.huber_forward, ref.huber_backward,
              lambda p, t, delta: F.huber_loss(p, t, delta=delta), {"delta": 0.5}),
}


@pytest.mark.parametrize("shape", [(1,), (8,), (4, 3)])
@pytest.mark.parametrize("name", REG)
def test_regression_losses_match_torch(name, shape):
    fwd, bwd, tfn, hp = REG[name]
    check_parity(fwd, bwd, tfn, shapes=[shape, shape], wrt=[0], **hp)
    check_grads(fwd, bwd, shapes=[shape, shape], wrt=[0], **hp)


@pytest.mark.parametrize("name", ["cross_entropy", *REG])
def test_loss_backward_takes_dout_then_cache(name):
    fwd, bwd = getattr(ref, name + "_forward"), getattr(ref, name + "_backward")
    rng = np.random.default_rng(6)
    if name == "cross_entropy":
        args = rng.standard_normal((3, 4)), np.array([0, 3, 1])
    else:
        args = rng.standard_normal(5), rng.standard_normal(5)
    _, cache = fwd(*args)
    np.testing.assert_allclose(bwd(2.5, cache), 2.5 * bwd(1.0, cache), rtol=1e-15)
    np.testing.assert_array_equal(bwd(cache=cache), bwd(1.0, cache))
    with pytest.raises(TypeError, match=name + "_backward: .*dout, cache"):
        bwd(cache)                              # the old order


@pytest.mark.parametrize("N,D_in,D_out", [(1, 3, 2), (5, 4, 6)])
def test_linear_matches_torch(N, D_in, D_out):
    shapes = [(N, D_in), (D_out, D_in), (D_out,)]
    check_parity(ref.linear_forward, ref.linear_backward, F.linear, shapes=shapes)
    check_grads(ref.linear_forward, ref.linear_backward, shapes=shapes)


def test_least_squares_recovers_weights():
    rng = np.random.default_rng(5)
    X = np.c_[rng.standard_normal((50, 2)), np.ones(50)]
    w = np.array([2.0, -1.0, 0.5])
    np.testing.assert_allclose(ref.least_squares(X, X @ w), w, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "elu"])
@pytest.mark.parametrize("N", [1, 4])
def test_mlp_backward_matches_autograd_and_finite_differences(activation, N):
    torch.manual_seed(0)
    net = pt.MLP([3, 5, 4, 2], activation).double()
    mlp = ref.MLP([3, 5, 4, 2], activation)
    mlp.weights = [m.weight.detach().numpy().copy() for m in net.linears]
    mlp.biases = [m.bias.detach().numpy().copy() for m in net.linears]
    rng = np.random.default_rng(6)
    x, dout = rng.standard_normal((N, 3)), rng.standard_normal((N, 2))
    out = mlp.forward(x)
    t_out = net(torch.tensor(x))
    np.testing.assert_allclose(out, t_out.detach().numpy(), atol=1e-12)
    grads = mlp.backward(dout)
    t_grads = torch.autograd.grad(t_out, list(net.parameters()), torch.tensor(dout))
    for g, tg in zip(grads, t_grads):
        np.testing.assert_allclose(g, tg.numpy(), atol=1e-12)
    assert [d.shape for d in mlp.deltas] == [(N, 5), (N, 4), (N, 2)]
    # finite differences on the first weight matrix
    w0 = mlp.weights[0]
    num = np.zeros_like(w0)
    for i in np.ndindex(w0.shape):
        old = w0[i]
        w0[i] = old + 1e-6
        plus = np.sum(mlp.forward(x) * dout)
        w0[i] = old - 1e-6
        minus = np.sum(mlp.forward(x) * dout)
        w0[i] = old
        num[i] = (plus - minus) / 2e-6
    np.testing.assert_allclose(grads[0], num, rtol=1e-5, atol=1e-7)


def _random_expression(rng, leaves, t_leaves, n_ops=12):
    """Build the same random expression from Values and from torch tensors,
    reusing earlier nodes (shared subexpressions)."""
    nodes, t_nodes = list(leaves), list(t_leaves)
    for _ in range(n_ops):
        i, j = rng.integers(0, len(nodes), size=2)
        a, b, ta, tb = nodes[i], nodes[j], t_nodes[i], t_nodes[j]
        op = rng.choice(["+", "-", "*", "/", "**", "exp", "log", "tanh", "relu"])
        if op == "+":
            r, tr = a + b, ta + tb
        elif op == "-":
            r, tr = a - b, ta - tb
        elif op == "*":
            r, tr = a * b, ta * tb
        elif op == "/":
            r, tr = a / (b * b + 1.0), ta / (tb * tb + 1.0)
        elif op == "**":
            r, tr = (a * a + 0.5) ** 1.5, (ta * ta + 0.5) ** 1.5
        elif op == "exp":
            r, tr = (a.tanh()).exp(), torch.tanh(ta).exp()
        elif op == "log":
            r, tr = (a * a + 1.0).log(), torch.log(ta * ta + 1.0)
        elif op == "tanh":
            r, tr = a.tanh(), torch.tanh(ta)
        else:
            r, tr = a.relu(), torch.relu(ta)
        nodes.append(r)
        t_nodes.append(tr)
    out, t_out = nodes[-1], t_nodes[-1]
    for k in range(len(leaves), len(nodes) - 1, 3):       # reuse more nodes
        out, t_out = out + nodes[k] * 0.5, t_out + t_nodes[k] * 0.5
    return out, t_out


@pytest.mark.parametrize("seed", range(8))
def test_autodiff_matches_torch_on_random_expressions(seed):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(3)
    leaves = [Value(float(v)) for v in data]
    t_leaves = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True)
                for v in data]
    out, t_out = _random_expression(rng, leaves, t_leaves)
    assert abs(out.data - t_out.item()) < 1e-12
    t_grads = torch.autograd.grad(t_out, t_leaves, allow_unused=True)
    t_grads = [0.0 if g is None else g.item() for g in t_grads]
    out.backward()
    first = [v.grad for v in leaves]
    np.testing.assert_allclose(first, t_grads, rtol=1e-10, atol=1e-12)
    out.zero_grad()
    out.backward()                                  # second pass: same gradients
    np.testing.assert_allclose([v.grad for v in leaves], first, rtol=0, atol=0)
    out.backward()                                  # without zero_grad: they add up
    np.testing.assert_allclose([v.grad for v in leaves], 2 * np.array(first),
                               rtol=1e-15, atol=0)


def test_autodiff_node_used_twice():
    x = Value(3.0)
    y = x * x + x                                   # dy/dx = 2x + 1 = 7
    y.backward()
    assert x.grad == 7.0


INITS = {
    "xavier_uniform": (lambda s, r: ref.xavier_uniform(s, gain=2.0, rng=r),
                       lambda t: torch.nn.init.xavier_uniform_(t, gain=2.0),
                       lambda fi, fo: 4.0 * 2 / (fi + fo)),
    "xavier_normal": (lambda s, r: ref.xavier_normal(s, rng=r),
                      torch.nn.init.xavier_normal_, lambda fi, fo: 2 / (fi + fo)),
    "kaiming_normal": (lambda s, r: ref.kaiming_normal(s, nonlinearity="relu", rng=r),
                       lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu"),
                       lambda fi, fo: 2 / fi),
    "kaiming_uniform": (lambda s, r: ref.kaiming_uniform(s, mode="fan_out", rng=r),
                        lambda t: torch.nn.init.kaiming_uniform_(t, mode="fan_out"),
                        lambda fi, fo: 2 / fo),
    "lecun_normal": (lambda s, r: ref.lecun_normal(s, rng=r),
                     lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="linear"),
                     lambda fi, fo: 1 / fi),
}


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
@pytest.mark.parametrize("name", INITS)
def test_initialiser_variance(name, shape):
    ours, theirs, formula = INITS[name]
    fan_in, fan_out = ref.fans(shape)
    w = ours(shape, 0)
    torch.manual_seed(0)
    t = theirs(torch.empty(shape, dtype=torch.float64)).numpy()
    var = formula(fan_in, fan_out)
    n = w.size                          # std error of a sample variance ~ sqrt(2/n)
    for v in (w.var(), t.var()):
        assert abs(v / var - 1) < 5 * np.sqrt(2 / n), (name, v, var)
    assert w.shape == tuple(shape) and abs(w.mean()) < 5 * np.sqrt(var / n)


def test_initialiser_uniform_bounds_match_torch():
    w = ref.xavier_uniform((30, 20), rng=0)
    assert np.abs(w).max() <= np.sqrt(6 / 50)
    for nl in ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert ref.calculate_gain(nl) == pytest.approx(torch.nn.init.calculate_gain(nl))


def test_metrics_match_sklearn():
    from sklearn.metrics import f1_score, precision_score, recall_score
    from sklearn.model_selection import KFold
    rng = np.random.default_rng(7)
    y, p = rng.integers(0, 3, 40), rng.integers(0, 3, 40)
    assert ref.accuracy(y, p) == np.mean(y == p)
    for avg, pos in (("binary", 1), ("macro", 1)):
        yt, yp = (y == 1, p == 1) if avg == "binary" else (y, p)
        yt, yp = yt.astype(int), yp.astype(int)
        got = ref.precision_recall_f1(yt, yp, average=avg, positive=pos)
        kw = {"average": avg, "zero_division": 0}
        want = (precision_score(yt, yp, **kw), recall_score(yt, yp, **kw),
                f1_score(yt, yp, **kw))
        np.testing.assert_allclose(got, want, atol=1e-15)
    for (tr, va), (tr2, va2) in zip(ref.kfold_indices(23, 5),
                                    KFold(5).split(np.zeros(23))):
        np.testing.assert_array_equal(tr, tr2)
        np.testing.assert_array_equal(va, va2)


def test_pt_mlp_shapes():
    net = pt.MLP([64, 32, 10], "tanh")
    assert net(torch.zeros(3, 8, 8)).shape == (3, 10)
    assert len(net.linears) == 2


BAD = [
    (lambda: ref.relu_forward([1.0, 2.0]), TypeError,
     "relu_forward: x must be an array"),
    (lambda: ref.sigmoid_forward(np.arange(3)), TypeError, "floating-point"),
    (lambda: ref.leaky_relu_forward(np.ones(2), slope="a"), TypeError, "slope"),
    (lambda: ref.prelu_forward(np.ones((2, 3)), np.ones(2)), ValueError,
     "one per channel"),
    (lambda: ref.softmax(np.ones((2, 3)), axis=2), ValueError, "softmax: axis"),
    (lambda: ref.cross_entropy_forward(np.ones(3), np.array([0])), ValueError,
     r"cross_entropy_forward: logits must be 2-D \(N, C\), got shape \(3,\)"),
    (lambda: ref.cross_entropy_forward(np.ones((2, 3)), np.array([0, 3])), ValueError,
     r"y must be in \[0, 2\], got values from 0 to 3"),
    (lambda: ref.cross_entropy_forward(np.ones((2, 3)), np.array([0.0, 1.0])),
     TypeError, "integer class labels"),
    (lambda: ref.cross_entropy_forward(np.ones((2, 3)), np.array([0])), ValueError,
     "same length"),
    (lambda: ref.mse_forward(np.ones(3), np.ones(4)), ValueError, "same shape"),
    (lambda: ref.huber_forward(np.ones(3), np.ones(3), delta=0), ValueError,
     r"huber_forward: delta must be in \(0, inf\], got 0"),
    (lambda: ref.huber_forward(np.ones(3), np.ones(3), delta=-1.0), ValueError,
     "delta"),
    (lambda: ref.linear_forward(np.ones((2, 3, 1)), np.ones((4, 3)), np.ones(4)),
     ValueError, "linear_forward: x must be 2-D"),
    (lambda: ref.linear_forward(np.ones((2, 3)), np.ones((4, 2)), np.ones(4)),
     ValueError, r"weight must have shape \(\*, 3\)"),
    (lambda: ref.MLP([3]), ValueError, "MLP: sizes"),
    (lambda: ref.MLP([3, 2], "swish"), ValueError, "unknown activation"),
    (lambda: ref.MLP([3, 2]).forward(np.ones((2, 4))), ValueError, "MLP.forward"),
    (lambda: ref.MLP([3, 2]).backward(np.ones((2, 2))), ValueError, "forward first"),
    (lambda: pt.MLP([3, 0]), ValueError, "MLP: each layer width"),
    (lambda: ref.xavier_uniform((3,)), ValueError, "xavier_uniform: shape"),
    (lambda: ref.kaiming_normal((3, 2), mode="fan"), ValueError, "unknown mode"),
    (lambda: ref.calculate_gain("gelu"), ValueError, "unknown nonlinearity"),
    (lambda: ref.accuracy(np.ones(3), np.ones(2)), ValueError, "same length"),
    (lambda: ref.precision_recall_f1(np.ones(3), np.ones(3), average="micro"),
     ValueError, "unknown average"),
    (lambda: ref.kfold_indices(5, 6), ValueError,
     r"kfold_indices: k must be in \[2, 5\]"),
    (lambda: ref.one_hot(np.array([0, 4]), 3), ValueError, "one_hot: y"),
    (lambda: Value("a"), TypeError, "Value: data must be a real number"),
    (lambda: Value(1.0) + "a", TypeError, "Value.__add__"),
    (lambda: Value(-1.0).log(), ValueError, "Value.log"),
]


@pytest.mark.parametrize("call,error,match", BAD)
def test_bad_input_raises_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("rule,hp", [(ref.sgd_step, {"lr": 0.3}),
                                     (ref.adam_step, {"lr": 0.01})])
def test_train_mlp_matches_a_hand_written_loop(rule, hp):
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((12, 3)), rng.integers(0, 2, 12)
    a, b = ref.MLP([3, 4, 2], "tanh", rng=1), ref.MLP([3, 4, 2], "tanh", rng=1)
    losses = ref.train_mlp(a, X, y, epochs=5, rule=rule, **hp)
    states, want = [{} for _ in b.params], []
    for _ in range(5):
        value, cache = ref.cross_entropy_forward(b.forward(X), y)
        grads = b.backward(ref.cross_entropy_backward(1.0, cache))
        for i, (p, g) in enumerate(zip(b.params, grads)):
            p[...], states[i] = rule(p, g, states[i], **hp)
        want.append(value)
    np.testing.assert_allclose(losses, want, rtol=1e-12)
    for p, q in zip(a.params, b.params):
        np.testing.assert_allclose(p, q, rtol=1e-12)


def test_train_mlp_minibatches_cover_every_example_once_per_epoch():
    rng = np.random.default_rng(8)
    X, Y = rng.standard_normal((10, 2)), rng.standard_normal((10, 1))
    mlp = ref.MLP([2, 3, 1], "relu", rng=0)
    before = [p.copy() for p in mlp.params]
    losses = ref.train_mlp(mlp, X, Y, epochs=1, loss="mse", batch_size=4, rng=0, lr=0.0)
    full = ref.mse_forward(mlp.forward(X), Y)[0]
    np.testing.assert_allclose(losses[0], full, rtol=1e-12)   # lr 0: weights unchanged
    assert all(np.array_equal(p, q) for p, q in zip(before, mlp.params))


def test_layer_gradients_relate_delta_and_weight_gradient():
    rng = np.random.default_rng(9)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    mlp = ref.MLP([3, 5, 4, 2], "tanh", rng=2, init=ref.xavier_normal)
    assert all(np.all(b == 0) for b in mlp.biases)
    g = ref.layer_gradients(mlp, X, y)
    _, cache = ref.cross_entropy_forward(mlp.forward(X), y)
    grads = mlp.backward(ref.cross_entropy_backward(1.0, cache))
    np.testing.assert_allclose(g["dW"], [np.linalg.norm(w) for w in grads[0::2]])
    np.testing.assert_allclose(g["delta"], [np.linalg.norm(d) for d in mlp.deltas])
    assert g["a"][0] == np.linalg.norm(X)
    # ||dW|| <= ||delta|| ||a||: the weight gradient carries the input's size too
    assert np.all(g["dW"] <= g["delta"] * g["a"] * (1 + 1e-12))


def test_train_mlp_rejects_bad_input():
    mlp = ref.MLP([2, 2])
    with pytest.raises(ValueError, match="train_mlp: .*loss"):
        ref.train_mlp(mlp, np.ones((2, 2)), np.zeros(2, int), epochs=1, loss="hinge")
    with pytest.raises(ValueError, match="train_mlp: epochs"):
        ref.train_mlp(mlp, np.ones((2, 2)), np.zeros(2, int), epochs=0)
