"""Chapter 03: NumPy batch norm forward + backward vs torch's, float32 and float64."""
import numpy as np
import torch
import torch.nn.functional as F

from dlnotes import ref

SHAPES = [(256, 128), (32, 16, 16, 16)]


def cases():
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        C = shape[1]
        x = rng.standard_normal(shape)
        g, b = np.ones(C), np.zeros(C)
        rm, rv = np.zeros(C), np.ones(C)
        dout = rng.standard_normal(shape)

        def ours(x=x, g=g, b=b, rm=rm, rv=rv, dout=dout):
            out, cache, _, _ = ref.batchnorm_forward(x, g, b, rm, rv, training=True)
            ref.batchnorm_backward(dout, cache)

        tx = torch.tensor(x, requires_grad=True)
        tg = torch.tensor(g, requires_grad=True)
        tb = torch.tensor(b, requires_grad=True)
        trm, trv, tdout = torch.tensor(rm), torch.tensor(rv), torch.tensor(dout)

        def theirs(tx=tx, tg=tg, tb=tb, trm=trm, trv=trv, tdout=tdout):
            out = F.batch_norm(tx, trm, trv, tg, tb, True, 0.1, 1e-5)
            torch.autograd.grad(out, (tx, tg, tb), tdout)

        yield f"batchnorm fwd+bwd float64 {shape}", ours, theirs
