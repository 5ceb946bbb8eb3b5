"""Optimiser steps: dlnotes.pt.optim vs torch.optim on the same model and gradients.

One ``step()`` over an MLP's parameters (784-256-128-10: 6 tensors, 235k values)
with fixed gradients. Ours updates one tensor at a time, so the fair comparison
is torch's ``foreach=False``; the ``foreach=True`` rows show what torch's fused
multi-tensor kernels add (ours has no such path). On a busy machine run it with
``--threads 1``: each step is a few element-wise ops on ~100k values, and with two
threads the timings of both sides swing wildly when a core is taken away.
"""
import torch
from torch import nn

from dlnotes import pt

CASES = [
    ("SGD momentum", dict(lr=0.1, momentum=0.9)),
    ("SGD nesterov wd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)),
    ("Adagrad", dict()),
    ("RMSprop", dict()),
    ("Adadelta", dict()),
    ("Adam", dict()),
    ("Adam amsgrad", dict(amsgrad=True)),
    ("AdamW", dict()),
    ("Adamax", dict()),
    ("NAdam", dict()),
]


def _model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                          nn.ReLU(), nn.Linear(128, 10))
    for p in model.parameters():
        p.grad = 1e-3 * torch.randn_like(p)
    return model


def cases():
    for label, hp in CASES:
        name = label.split()[0]
        for foreach in (False, True):
            ours = getattr(pt.optim, name)(_model().parameters(), **hp)
            theirs = getattr(torch.optim, name)(_model().parameters(), **hp,
                                                foreach=foreach)
            case = f"optim {label} step, torch foreach={foreach}"
            yield case, ours.step, theirs.step
