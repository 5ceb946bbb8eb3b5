"""Our NumPy LSTM forward + BPTT against nn.LSTM's on CPU, float32.

The reference computes the input products of all steps in one matmul before
the time loop and the weight gradients in one matmul after it (as torch does),
so each step pays only the hidden matmul and a few element-wise calls; what is
left of the gap is Python and NumPy call overhead per step.
"""
import numpy as np
import torch
from torch import nn

from dlnotes import ref

CASES = [  # (name, T, N, D, H)
    ("T=50 N=32 D=32 H=64", 50, 32, 32, 64),
    ("T=100 N=64 D=128 H=256", 100, 64, 128, 256),
]


def cases():
    rng = np.random.default_rng(0)
    for name, T, N, D, H in CASES:
        torch.manual_seed(0)
        lstm = nn.LSTM(D, H)
        weights = [p.detach().numpy().copy() for p in lstm.parameters()]
        x = rng.standard_normal((T, N, D), dtype=np.float32)
        dout = rng.standard_normal((T, N, H), dtype=np.float32)

        def ours(x=x, weights=weights, dout=dout):
            out, _, cache = ref.lstm_forward(x, None, None, *weights)
            ref.lstm_backward(dout, None, None, cache)

        xt, dt = torch.tensor(x, requires_grad=True), torch.tensor(dout)

        def theirs(lstm=lstm, xt=xt, dt=dt):
            out, _ = lstm(xt)
            torch.autograd.grad(out, [xt, *lstm.parameters()], dt)

        yield f"lstm fwd+bptt {name}", ours, theirs
