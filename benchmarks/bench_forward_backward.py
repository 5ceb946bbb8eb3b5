"""Chapter 01: the NumPy MLP, softmax cross entropy and the scalar autodiff engine
against torch doing the same work (float32 MLP, batch 128, 64-64-10 as in the book)."""
import numpy as np
import torch
import torch.nn.functional as F

from dlnotes import pt, ref
from dlnotes.ref.autodiff import Value


def _mlp_case(activation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 64)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    mlp = ref.MLP([64, 64, 10], activation, rng=0)
    mlp.weights = [w.astype(np.float32) for w in mlp.weights]
    mlp.biases = [b.astype(np.float32) for b in mlp.biases]
    net = pt.MLP([64, 64, 10], activation)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def ours():
        _, cache = ref.cross_entropy_forward(mlp.forward(x), y)
        return mlp.backward(ref.cross_entropy_backward(1.0, cache))

    def theirs():
        net.zero_grad(set_to_none=True)
        F.cross_entropy(net(tx), ty).backward()

    return ours, theirs


def _autodiff_case():
    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal(32).tolist(), rng.standard_normal(32).tolist()

    def ours():
        w = [Value(v) for v in ws]
        out = sum((wi * xi).tanh() for wi, xi in zip(w, xs))
        out.backward()

    def theirs():
        w = torch.tensor(ws, dtype=torch.float64, requires_grad=True)
        torch.tanh(w * torch.tensor(xs, dtype=torch.float64)).sum().backward()

    return ours, theirs


def cases():
    for activation in ("relu", "tanh"):
        ours, theirs = _mlp_case(activation)
        yield f"MLP 64-64-10 {activation} fwd+bwd, batch 128", ours, theirs
    ours, theirs = _autodiff_case()
    yield "autodiff Value: 32-term tanh sum fwd+bwd (vs torch)", ours, theirs
