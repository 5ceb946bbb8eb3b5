"""Max and average pooling in NumPy, as torch.nn.functional.max_pool2d / avg_pool2d.

Both slide a kernel_size window at ``stride`` (default: the kernel size) over a
padded input. Max pooling pads with -inf so padding is never picked; average
pooling pads with zeros and divides by the full window (torch's default
count_include_pad=True). The windows are a strided view of the input; the
backward adds the window gradients back with one strided add per kernel offset.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._validate import check_array
from .conv import _tuple

__all__ = ["maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward",
           "avgpool2d_backward"]


def _check_pool(func, x, kernel_size, stride, padding):
    check_array(func, "x", x, ndim=4, floating=True, what="(N, C, H, W)")
    kernel = _tuple(func, "kernel_size", kernel_size, 2, low=1)
    stride = kernel if stride is None else _tuple(func, "stride", stride, 2, low=1)
    padding = _tuple(func, "padding", padding, 2, low=0)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{func}: padding {padding} must be at most half the "
                         f"kernel {kernel}")
    for i in range(2):
        if kernel[i] > x.shape[2 + i] + 2 * padding[i]:
            raise ValueError(f"{func}: the kernel {kernel} is larger than the padded "
                             f"input: x shape {x.shape}, padding {padding}")
    return kernel, stride, padding


def _pool_windows(x, kernel, stride, padding, fill):
    ph, pw = padding
    xp = np.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)], constant_values=fill)
    return xp.shape, sliding_window_view(xp, kernel, axis=(2, 3))[
        :, :, ::stride[0], ::stride[1]]                   # (N, C, Ho, Wo, kh, kw)


def _scatter(parts, xp_shape, kernel, stride, padding):
    """Add parts[..., r, s] (N, C, Ho, Wo, kh, kw) back to its input positions."""
    dxp = np.zeros(xp_shape, dtype=parts.dtype)
    Ho, Wo = parts.shape[2:4]
    for r in range(kernel[0]):
        for s in range(kernel[1]):
            dxp[:, :, r:r + stride[0] * (Ho - 1) + 1:stride[0],
                s:s + stride[1] * (Wo - 1) + 1:stride[1]] += parts[..., r, s]
    ph, pw = padding
    return np.ascontiguousarray(dxp[:, :, ph:xp_shape[2] - ph, pw:xp_shape[3] - pw])


def maxpool2d_forward(x, *, kernel_size, stride=None, padding=0):
    """Max over each kernel_size window.

    Args:
        x: (N, C, H, W)
        kernel_size, stride, padding: an int or a pair; stride defaults to the kernel.
    Returns:
        out: (N, C, H_out, W_out), H_out = (H + 2p - k) // s + 1
        cache: the argmax of every window, for maxpool2d_backward
    """
    kernel, stride, padding = _check_pool("maxpool2d_forward", x, kernel_size,
                                          stride, padding)
    xp_shape, win = _pool_windows(x, kernel, stride, padding, -np.inf)
    flat = win.reshape(win.shape[:4] + (-1,))            # copy: (N, C, Ho, Wo, kh*kw)
    arg = flat.argmax(axis=-1)                           # first maximum, as torch
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return out, (arg, xp_shape, kernel, stride, padding)


def maxpool2d_backward(dout, cache):
    """Gradient of maxpool2d_forward: dout goes to the argmax of each window only."""
    arg, xp_shape, kernel, stride, padding = cache
    onehot = arg[..., None] == np.arange(kernel[0] * kernel[1])
    parts = (onehot * dout[..., None]).reshape(dout.shape + kernel)
    return _scatter(parts, xp_shape, kernel, stride, padding)


def avgpool2d_forward(x, *, kernel_size, stride=None, padding=0):
    """Mean over each kernel_size window (zero padding counted, as torch's default).

    Args and returns as maxpool2d_forward.
    """
    kernel, stride, padding = _check_pool("avgpool2d_forward", x, kernel_size,
                                          stride, padding)
    xp_shape, win = _pool_windows(x, kernel, stride, padding, 0.0)
    out = win.mean(axis=(-2, -1))
    return out, (xp_shape, kernel, stride, padding)


def avgpool2d_backward(dout, cache):
    """Gradient of avgpool2d_forward: each window shares dout equally."""
    xp_shape, kernel, stride, padding = cache
    share = dout / (kernel[0] * kernel[1])
    parts = np.broadcast_to(share[..., None, None], dout.shape + kernel)
    return _scatter(parts, xp_shape, kernel, stride, padding)
