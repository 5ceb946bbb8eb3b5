"""What bounds the NumPy conv2d: its three matrix products against torch's whole step.

    python -m benchmarks.conv_bound

For each case of bench_conv, times (best of 20, one thread) the three sgemms an
im2col convolution cannot avoid (forward, dweight, dcols), our forward alone, our
forward+backward, and torch's forward+backward. When the sgemms alone come close to
torch's whole step, no NumPy rearrangement of the rest can reach it.
"""
import timeit

import dlnotes  # noqa: F401  (first: the book's OpenMP wait policy, set before torch)
import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from dlnotes import ref

from .bench_conv import CASES


def best_ms(fn, repeat=20):
    fn()
    return 1e3 * min(timeit.repeat(fn, number=1, repeat=repeat))


def main():
    torch.set_num_threads(1)
    threadpool_limits(1)
    rng = np.random.default_rng(0)
    for name, xs, ws, stride, padding in CASES:
        x = rng.standard_normal(xs, dtype=np.float32)
        w = rng.standard_normal(ws, dtype=np.float32)
        b = np.zeros(ws[0], np.float32)
        out, _ = ref.conv2d_forward(x, w, b, stride=stride, padding=padding)
        dout = rng.standard_normal(out.shape, dtype=np.float32)
        rows, inner = out.size // ws[0], int(np.prod(ws[1:]))
        cols = rng.standard_normal((rows, inner), dtype=np.float32)
        wmat = rng.standard_normal((inner, ws[0]), dtype=np.float32)
        d = rng.standard_normal((rows, ws[0]), dtype=np.float32)
        gemms = (best_ms(lambda: cols @ wmat) + best_ms(lambda: cols.T @ d)
                 + best_ms(lambda: d @ wmat.T))
        fwd = best_ms(lambda: ref.conv2d_forward(x, w, b, stride=stride,
                                                 padding=padding))
        both = best_ms(lambda: ref.conv2d_backward(dout, ref.conv2d_forward(
            x, w, b, stride=stride, padding=padding)[1]))
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        dt = torch.tensor(dout)
        theirs = best_ms(lambda: torch.autograd.grad(
            F.conv2d(xt, wt, bt, stride=stride, padding=padding), (xt, wt, bt), dt))
        print(f"{name}: sgemms {gemms:.2f} ms ({gemms / theirs:.2f}x torch), "
              f"ours fwd {fwd:.2f}, fwd+bwd {both:.2f} ({both / theirs:.2f}x); "
              f"torch fwd+bwd {theirs:.2f} ms")


if __name__ == "__main__":
    main()
