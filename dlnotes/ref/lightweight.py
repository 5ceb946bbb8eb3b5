"""The pieces of lightweight networks in NumPy: channel shuffle, ReLU6 and costs.

``channel_shuffle`` is ShuffleNet's reshape-transpose-reshape; its backward is the
inverse permutation, which is itself a channel shuffle (with C / g groups).
``relu6`` is MobileNet's clipped ReLU. ``conv_cost`` gives the parameters and
multiply-accumulates (MACs) of a convolution from its sizes, and
``memory_access_cost`` ShuffleNet V2's memory access cost of a 1x1 convolution.
"""
import numbers

from .._validate import check_array, check_number
from .conv import conv_output_size

__all__ = ["channel_shuffle", "channel_shuffle_backward", "relu6_forward",
           "relu6_backward", "conv_cost", "memory_access_cost"]


def _groups(func, channels, groups):
    check_number(func, "groups", groups, low=1, integer=True)
    if channels % groups:
        raise ValueError(f"{func}: groups must divide the {channels} channels, "
                         f"got groups={groups}")
    return int(groups)


def channel_shuffle(x, groups):
    """Interleave the channels of ``groups`` groups (ShuffleNet, Zhang et al. 2018).

    View the C channels as a (groups, C / groups) matrix, transpose it, flatten:
    output channel j * groups + i is input channel i * (C / groups) + j, so each run
    of ``groups`` consecutive outputs holds one channel from every input group.
    Same result as ``torch.nn.ChannelShuffle(groups)``.

    Args:
        x: (N, C, ...) with C divisible by groups.
        groups: the number of groups g.
    Returns:
        out: like x.
        cache: groups, what channel_shuffle_backward needs.
    """
    check_array("channel_shuffle", "x", x, ndim=range(2, 9), what="(N, C, ...)")
    N, C, *rest = x.shape
    g = _groups("channel_shuffle", C, groups)
    out = x.reshape(N, g, C // g, *rest).swapaxes(1, 2).reshape(x.shape)
    return out, g


def channel_shuffle_backward(dout, groups):
    """Gradient of channel_shuffle: the inverse permutation of the channels.

    A permutation's gradient routes each output gradient back to the channel it came
    from; the inverse of shuffling g groups is shuffling C / g groups.
    """
    N, C, *rest = dout.shape
    g = groups
    return dout.reshape(N, C // g, g, *rest).swapaxes(1, 2).reshape(dout.shape)


def relu6_forward(x):
    """min(max(0, x), 6), MobileNet's activation (robust in low precision).

    Shape: x any, out like x. Returns (out, cache).
    """
    x = check_array("relu6_forward", "x", x, floating=True)
    return x.clip(0.0, 6.0), x


def relu6_backward(dout, cache):
    """1 where 0 < x < 6, else 0 (0 at both kinks, as torch)."""
    x = cache
    return dout * ((x > 0) & (x < 6))


def _size(func, name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be an integer, got {value!r}")
    return check_number(func, name, int(value), low=low, integer=True)


def conv_cost(h, w, c_in, c_out, k, *, groups=1, stride=1, bias=False):
    """Parameters and multiply-accumulates of one k x k convolution.

    The layer pads by k // 2 ("same" for odd k) and has ``groups`` groups: each
    output value costs (c_in / groups) k^2 MACs, and there are
    h_out w_out c_out of them, so a standard convolution costs h w c_in k^2 c_out
    (at stride 1), a grouped one 1/groups of that, a depthwise one
    (groups = c_in = c_out) h w k^2 c_in and a pointwise one (k = 1) h w c_in c_out.

    Args:
        h, w: the input's height and width.
        c_in, c_out: channels in and out, both divisible by groups.
        k: kernel size (square).
        groups: 1 standard, c_in depthwise, anything between grouped.
        stride: the step; the output is ceil(h / stride) x ceil(w / stride) for odd k.
        bias: count a bias per output channel (conv layers before BN have none).
    Returns:
        (params, macs), two ints.
    """
    func = "conv_cost"
    h, w, c_in, c_out, k, stride = (_size(func, n, v) for n, v in (
        ("h", h), ("w", w), ("c_in", c_in), ("c_out", c_out), ("k", k),
        ("stride", stride)))
    g = _groups(func, c_in, groups)
    if c_out % g:
        raise ValueError(f"{func}: groups must divide the {c_out} output channels, "
                         f"got groups={g}")
    h_out = conv_output_size(h, k, k // 2, stride)
    w_out = conv_output_size(w, k, k // 2, stride)
    per_output = (c_in // g) * k * k
    params = c_out * per_output + (c_out if bias else 0)
    macs = h_out * w_out * c_out * per_output
    return params, macs


def memory_access_cost(h, w, c_in, c_out, *, groups=1):
    """ShuffleNet V2's memory access cost of a 1x1 convolution, in values moved.

    MAC = h w (c_in + c_out) + c_in c_out / groups: read the input feature map,
    write the output one, read the weights. At fixed FLOPs B = h w c_in c_out / g
    it is smallest when c_in = c_out (guideline G1) and grows with g (G2).

    Args:
        h, w: the feature map's size (a 1x1 convolution keeps it).
        c_in, c_out: channels, both divisible by groups.
    Returns:
        int.
    """
    func = "memory_access_cost"
    h, w, c_in, c_out = (_size(func, n, v) for n, v in (
        ("h", h), ("w", w), ("c_in", c_in), ("c_out", c_out)))
    g = _groups(func, c_in, groups)
    if c_out % g:
        raise ValueError(f"{func}: groups must divide the {c_out} output channels, "
                         f"got groups={g}")
    return h * w * (c_in + c_out) + c_in * c_out // g
