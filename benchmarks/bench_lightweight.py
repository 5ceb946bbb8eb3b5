"""Channel shuffle in NumPy against torch's, and a depthwise separable layer
against the dense 3x3 convolution it replaces (both torch, float32): the ratio
shows how far below the 1/M + 1/K^2 MAC ratio the measured time stays."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlnotes import ref


def cases():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 240, 28, 28), dtype=np.float32)
    xt = torch.tensor(x)
    yield ("channel_shuffle (32,240,28,28) g=3",
           lambda: ref.channel_shuffle(x, 3), lambda: F.channel_shuffle(xt, 3))
    c, s, b = 64, 56, 8
    dense = nn.Conv2d(c, c, 3, padding=1, bias=False)
    separable = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False),
                              nn.Conv2d(c, c, 1, bias=False))
    inp = torch.randn(b, c, s, s)

    def run(layer):
        def call():
            with torch.no_grad():
                layer(inp)
        return call
    yield (f"separable vs dense 3x3, C={c}, {s}x{s}, batch {b}",
           run(separable), run(dense))
