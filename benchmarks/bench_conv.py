"""Our NumPy conv2d forward+backward against torch's on CPU, float32.

The vectorised version (im2col through a strided view + tensordot) is the one to
compare; the loop-over-output-pixels version is timed beside it for scale.

What bounds it (`python -m benchmarks.conv_bound`, idle 2-core machine, 1 thread):
the forward and the two backward matrix products are three OpenBLAS sgemms. For
(32,64,32,32)x(64,64,3,3) they alone take 1.06-1.08x torch's whole forward+backward
(oneDNN), so with im2col and col2im on top the case sits at 1.5-1.7x. For
(64,16,16,16)x(32,16,3,3) they take 1.1-1.25x torch's whole step (5.3-5.9 ms against
4.7-4.8 ms); im2col and col2im each add a pass over a 9 MB column matrix (about 2 ms
each), so about 2x is the floor for a NumPy im2col conv of this size; we measure
3-3.9x, the rest being page faults from allocating those matrices afresh on every call:
with glibc told to keep freed memory (`MALLOC_MMAP_THRESHOLD_=1000000000
MALLOC_TRIM_THRESHOLD_=1000000000 python -m benchmarks.conv_bound`) the small case
measured 2.31x (11.8 ms against 5.1 ms). A per-sample batched and an (r,s,c)-ordered
variant were no faster.
"""
import numpy as np
import torch
import torch.nn.functional as F

from dlnotes import ref

CASES = [  # (name, x shape, weight shape, stride, padding)
    ("(64,16,16,16)x(32,16,3,3) p1", (64, 16, 16, 16), (32, 16, 3, 3), 1, 1),
    ("(32,64,32,32)x(64,64,3,3) p1", (32, 64, 32, 32), (64, 64, 3, 3), 1, 1),
]


def _pair(forward, backward, x, w, b, dout, **hp):
    def run():
        out, cache = forward(x, w, b, **hp)
        backward(dout, cache)
    return run


def _torch(x, w, b, dout, **hp):
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dt = torch.tensor(dout)

    def run():
        out = F.conv2d(xt, wt, bt, **hp)
        torch.autograd.grad(out, (xt, wt, bt), dt)
    return run


def cases():
    rng = np.random.default_rng(0)
    for name, xs, ws, stride, padding in CASES:
        x = rng.standard_normal(xs, dtype=np.float32)
        w = rng.standard_normal(ws, dtype=np.float32)
        b = rng.standard_normal(ws[0], dtype=np.float32)
        out, _ = ref.conv2d_forward(x, w, b, stride=stride, padding=padding)
        dout = rng.standard_normal(out.shape, dtype=np.float32)
        hp = dict(stride=stride, padding=padding)
        theirs = _torch(x, w, b, dout, **hp)
        yield (f"conv2d fwd+bwd {name}",
               _pair(ref.conv2d_forward, ref.conv2d_backward, x, w, b, dout, **hp),
               theirs)
        yield (f"conv2d naive fwd+bwd {name}",
               _pair(ref.conv2d_forward_naive, ref.conv2d_backward_naive, x, w, b, dout,
                     **hp), theirs)
