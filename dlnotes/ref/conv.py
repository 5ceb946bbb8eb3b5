"""Convolution in NumPy: 2-D (fast and loop versions), transposed, 3-D, and sizes.

Layouts follow torch.nn.functional: x (N, C, H, W); conv weight (K, C/groups, R, S);
transposed-conv weight (C_in, C_out, R, S). The fast versions gather every window
as a strided *view* of the padded input (im2col without a copy until the matrix
product) and contract it with the weights by ``np.tensordot``; the backward
scatters the window gradients back with one strided add per kernel offset (col2im).
"""
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._validate import check_array, check_number

__all__ = ["conv2d_forward", "conv2d_backward", "conv2d_forward_naive",
           "conv2d_backward_naive", "conv_transpose2d_forward",
           "conv_transpose2d_backward", "pixel_shuffle", "conv3d_forward",
           "conv_output_size", "receptive_field"]


# ----------------------------------------------------------------------------- checks
def _tuple(func, name, value, n, *, low):
    """An int or an n-tuple of ints, each >= low, as an n-tuple."""
    items = (value,) * n if isinstance(value, numbers.Integral) else tuple(value) \
        if isinstance(value, (tuple, list)) else None
    if items is None or len(items) != n or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items):
        raise TypeError(f"{func}: {name} must be an int or {n} ints, got {value!r}")
    if any(v < low for v in items):
        raise ValueError(f"{func}: {name} must be >= {low}, got {value!r}")
    return tuple(int(v) for v in items)


def _check_conv(func, x, weight, bias, stride, padding, dilation, groups, nd=2):
    """Validate a conv call; returns (stride, padding, dilation) as tuples."""
    layout = "(N, C, H, W)" if nd == 2 else "(N, C, D, H, W)"
    check_array(func, "x", x, ndim=nd + 2, floating=True, what=layout)
    check_array(func, "weight", weight, ndim=nd + 2, floating=True,
                what="(K, C/groups, R, S)" if nd == 2 else "(K, C/groups, T, R, S)")
    stride = _tuple(func, "stride", stride, nd, low=1)
    padding = _tuple(func, "padding", padding, nd, low=0)
    dilation = _tuple(func, "dilation", dilation, nd, low=1)
    check_number(func, "groups", groups, low=1, integer=True)
    C, K, Cg = x.shape[1], weight.shape[0], weight.shape[1]
    if C % groups or K % groups:
        raise ValueError(f"{func}: groups={groups} must divide the input channels "
                         f"and the filters, got x shape {x.shape} and weight shape "
                         f"{weight.shape}")
    if C != Cg * groups:
        raise ValueError(f"{func}: x has {C} channels but weight expects "
                         f"{Cg * groups} (C/groups = {Cg}, groups = {groups}): "
                         f"x shape {x.shape}, weight shape {weight.shape}")
    if bias is not None:
        check_array(func, "bias", bias, shape=(K,), floating=True)
    for i in range(nd):
        size = x.shape[2 + i] + 2 * padding[i]
        eff = dilation[i] * (weight.shape[2 + i] - 1) + 1
        if eff > size:
            raise ValueError(
                f"{func}: the kernel (extent {eff} with dilation {dilation[i]}) is "
                f"larger than the padded input ({size}) along spatial axis {i}: "
                f"x shape {x.shape}, weight shape {weight.shape}, padding {padding}")
    return stride, padding, dilation


def _pad(x, padding):
    return np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])


def _windows(xp, kernel, stride, dilation):
    """Every receptive window of xp, as a view (N, C, *out, *kernel)."""
    nd = len(kernel)
    eff = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    v = sliding_window_view(xp, eff, axis=tuple(range(2, 2 + nd)))
    index = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride) \
        + tuple(slice(None, None, d) for d in dilation)
    return v[index]


# ------------------------------------------------------------------------ conv 2-D
def conv2d_forward(x, weight, bias, *, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, as torch.nn.functional.conv2d, by im2col.

    out[n, k, i, j] = b[k]
        + sum_{c,r,s} w[k, c, r, s] x_pad[n, c, i*sh + r*dh, j*sw + s*dw]

    Args:
        x: (N, C, H, W)
        weight: (K, C/groups, R, S)
        bias: (K,) or None
        stride, padding, dilation: an int or an (height, width) pair.
        groups: split C and K into this many independent groups (groups = C is
            a depthwise convolution).
    Returns:
        out: (N, K, H_out, W_out), H_out = (H + 2p - d(R - 1) - 1) // s + 1
        cache: what conv2d_backward needs
    """
    stride, padding, dilation = _check_conv("conv2d_forward", x, weight, bias, stride,
                                            padding, dilation, groups)
    xp = _pad(x, padding)
    win = _windows(xp, weight.shape[2:], stride, dilation)     # (N, C, Ho, Wo, R, S)
    N, C, Ho, Wo, R, S = win.shape
    K = weight.shape[0]
    # im2col: one copy into rows (c, r, s) and columns (n, i, j), grouped by g
    cols = np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3)).reshape(
        groups, C // groups * R * S, N * Ho * Wo)
    wmat = weight.reshape(groups, K // groups, -1)             # (G, Kg, Cg*R*S)
    out = np.matmul(wmat, cols).reshape(K, N * Ho * Wo)        # (K, N*Ho*Wo)
    if bias is not None:
        out += bias[:, None]
    out = np.ascontiguousarray(out.reshape(K, N, Ho, Wo).transpose(1, 0, 2, 3))
    cache = (xp.shape, cols, weight, bias is not None, stride, padding, dilation)
    return out, cache


def conv2d_backward(dout, cache):
    """Gradients of conv2d_forward: (dx, dweight, dbias); dbias is None without bias.

    dweight is dout times the im2col matrix; dx multiplies dout by the weights
    and scatters the columns back onto the input they were copied from (col2im).
    """
    xp_shape, cols, weight, has_bias, stride, padding, dilation = cache
    groups = cols.shape[0]
    K, Cg, R, S = weight.shape
    N, _, Ho, Wo = dout.shape
    dmat = np.ascontiguousarray(dout.transpose(1, 0, 2, 3)).reshape(
        groups, K // groups, N * Ho * Wo)                        # (G, Kg, N*Ho*Wo)
    # (G, Cg*R*S, N*Ho*Wo) @ (G, N*Ho*Wo, Kg): this orientation runs faster in BLAS
    dweight = np.matmul(cols, dmat.transpose(0, 2, 1)).transpose(0, 2, 1).reshape(
        weight.shape)
    wmat = weight.reshape(groups, K // groups, -1)
    dcols = np.matmul(wmat.transpose(0, 2, 1), dmat).reshape(
        Cg * groups, R, S, N, Ho, Wo)
    # col2im: add each kernel offset's columns back at their input positions
    C, (Hp, Wp), (sh, sw), (dh, dw) = Cg * groups, xp_shape[2:], stride, dilation
    dxp = np.zeros((C, N, Hp, Wp), dtype=dcols.dtype)
    for r in range(R):
        for s in range(S):
            dxp[:, :, r * dh:r * dh + sh * (Ho - 1) + 1:sh,
                s * dw:s * dw + sw * (Wo - 1) + 1:sw] += dcols[:, r, s]
    (ph, pw) = padding
    dx = np.ascontiguousarray(dxp[:, :, ph:Hp - ph, pw:Wp - pw].transpose(1, 0, 2, 3))
    dbias = dmat.sum(axis=-1).reshape(K) if has_bias else None
    return dx, dweight, dbias


def _crop(a, padding):
    ph, pw = padding
    return a[:, :, ph:a.shape[2] - ph, pw:a.shape[3] - pw]


def _stamp(parts, full_shape, stride):
    """Add parts (N, C, H, W, R, S) into a (N, C, *full) array: element (h, w, r, s)
    lands at (h * sh + r, w * sw + s)."""
    out = np.zeros(full_shape, dtype=parts.dtype)
    _, _, H, W, R, S = parts.shape
    sh, sw = stride
    for r in range(R):
        for s in range(S):
            out[:, :, r:r + sh * (H - 1) + 1:sh, s:s + sw * (W - 1) + 1:sw] += \
                parts[..., r, s]
    return out


def conv2d_forward_naive(x, weight, bias, *, stride=1, padding=0, dilation=1, groups=1):
    """conv2d_forward written as loops over output pixels: the version to read.

    For each output position (i, j) and each group, cut the (dilated) window out
    of the padded input and take its dot product with every filter of the group.
    Same arguments, result and cache contract as conv2d_forward.
    """
    stride, padding, dilation = _check_conv("conv2d_forward_naive", x, weight, bias,
                                            stride, padding, dilation, groups)
    xp = _pad(x, padding)
    N, C, Hp, Wp = xp.shape
    K, Cg, R, S = weight.shape
    Kg = K // groups
    (sh, sw), (dh, dw) = stride, dilation
    Ho = (Hp - dh * (R - 1) - 1) // sh + 1
    Wo = (Wp - dw * (S - 1) - 1) // sw + 1
    out = np.zeros((N, K, Ho, Wo), dtype=np.result_type(x, weight))
    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * sh, i * sh + dh * (R - 1) + 1, dh)
            cols = slice(j * sw, j * sw + dw * (S - 1) + 1, dw)
            for g in range(groups):
                patch = xp[:, g * Cg:(g + 1) * Cg, rows, cols]     # (N, Cg, R, S)
                w = weight[g * Kg:(g + 1) * Kg]                    # (Kg, Cg, R, S)
                out[:, g * Kg:(g + 1) * Kg, i, j] = (
                    patch.reshape(N, -1) @ w.reshape(Kg, -1).T)    # (N, Kg)
    if bias is not None:
        out += bias.reshape(1, K, 1, 1)
    return out, (xp, weight, bias is not None, stride, padding, dilation, groups)


def conv2d_backward_naive(dout, cache):
    """Gradients of conv2d_forward_naive by the same loops, run backwards."""
    xp, weight, has_bias, (sh, sw), padding, (dh, dw), groups = cache
    N, K, Ho, Wo = dout.shape
    _, Cg, R, S = weight.shape
    Kg = K // groups
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * sh, i * sh + dh * (R - 1) + 1, dh)
            cols = slice(j * sw, j * sw + dw * (S - 1) + 1, dw)
            for g in range(groups):
                c, k = slice(g * Cg, (g + 1) * Cg), slice(g * Kg, (g + 1) * Kg)
                patch = xp[:, c, rows, cols].reshape(N, -1)         # (N, Cg*R*S)
                d = dout[:, k, i, j]                                # (N, Kg)
                dweight[k] += (d.T @ patch).reshape(Kg, Cg, R, S)
                dxp[:, c, rows, cols] += (d @ weight[k].reshape(Kg, -1)
                                          ).reshape(N, Cg, R, S)
    dbias = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return _crop(dxp, padding).copy(), dweight, dbias


# ------------------------------------------------------------------ transposed conv
def conv_transpose2d_forward(x, weight, bias, *, stride=1, padding=0, output_padding=0):
    """Transposed convolution, as torch.nn.functional.conv_transpose2d (groups=1).

    Every input pixel stamps weight[c] scaled by its value onto the output at
    stride s; overlaps add. H_out = (H - 1) s - 2p + R + output_padding.

    Args:
        x: (N, C_in, H, W)
        weight: (C_in, C_out, R, S), torch's layout for transposed convolution
        bias: (C_out,) or None
        stride, padding, output_padding: an int or a pair; output_padding < stride
            picks among the input sizes a strided convolution maps to the same size.
    Returns:
        out: (N, C_out, H_out, W_out)
        cache: for conv_transpose2d_backward
    """
    func = "conv_transpose2d_forward"
    check_array(func, "x", x, ndim=4, floating=True, what="(N, C_in, H, W)")
    check_array(func, "weight", weight, ndim=4, floating=True,
                what="(C_in, C_out, R, S)")
    stride = _tuple(func, "stride", stride, 2, low=1)
    padding = _tuple(func, "padding", padding, 2, low=0)
    output_padding = _tuple(func, "output_padding", output_padding, 2, low=0)
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"{func}: x has {x.shape[1]} channels but weight expects "
                         f"{weight.shape[0]}: x shape {x.shape}, weight shape "
                         f"{weight.shape}")
    if any(op >= s for op, s in zip(output_padding, stride)):
        raise ValueError(f"{func}: output_padding {output_padding} must be smaller "
                         f"than stride {stride}")
    if bias is not None:
        check_array(func, "bias", bias, shape=(weight.shape[1],), floating=True)
    N, _, H, W = x.shape
    R, S = weight.shape[2:]
    full = ((H - 1) * stride[0] + R + output_padding[0],
            (W - 1) * stride[1] + S + output_padding[1])
    if any(f - 2 * p < 1 for f, p in zip(full, padding)):
        raise ValueError(f"{func}: padding {padding} leaves no output for x shape "
                         f"{x.shape} and weight shape {weight.shape}")
    # (N, C_in, H, W) . (C_in, C_out, R, S) over C_in -> (N, H, W, C_out, R, S)
    stamps = np.tensordot(x, weight, axes=([1], [0])).transpose(0, 3, 1, 2, 4, 5)
    out = _crop(_stamp(stamps, (N, weight.shape[1]) + full, stride), padding)
    out = np.ascontiguousarray(out)
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1)
    return out, (x, weight, bias is not None, stride, padding, full)


def conv_transpose2d_backward(dout, cache):
    """Gradients of conv_transpose2d_forward: (dx, dweight, dbias).

    The transpose of a stamp is a window: dx is an ordinary strided convolution
    of the (re-padded) dout with the same weight.
    """
    x, weight, has_bias, stride, padding, full = cache
    N, _, H, W = x.shape
    dfull = np.zeros((N, dout.shape[1]) + full, dtype=dout.dtype)
    ph, pw = padding
    dfull[:, :, ph:ph + dout.shape[2], pw:pw + dout.shape[3]] = dout
    win = _windows(dfull, weight.shape[2:], stride, (1, 1))[:, :, :H, :W]
    # (N, C_out, H, W, R, S) . (C_in, C_out, R, S) over (C_out, R, S) -> (N, H, W, C_in)
    dx = np.tensordot(win, weight, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    dweight = np.tensordot(x, win, axes=([0, 2, 3], [0, 2, 3]))  # (C_in, C_out, R, S)
    dbias = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return np.ascontiguousarray(dx), dweight, dbias


def pixel_shuffle(x, upscale_factor):
    """Rearrange (N, C r^2, H, W) into (N, C, H r, W r), as torch's pixel_shuffle.

    Output pixel (h r + i, w r + j) of channel c comes from input channel
    c r^2 + i r + j at (h, w): every output pixel is written exactly once.
    """
    check_array("pixel_shuffle", "x", x, ndim=4, what="(N, C*r*r, H, W)")
    r = check_number("pixel_shuffle", "upscale_factor", upscale_factor, low=1,
                     integer=True)
    N, C, H, W = x.shape
    if C % (r * r):
        raise ValueError(f"pixel_shuffle: channels must be divisible by "
                         f"upscale_factor**2 = {r * r}, got x shape {x.shape}")
    return (x.reshape(N, C // (r * r), r, r, H, W).transpose(0, 1, 4, 2, 5, 3)
            .reshape(N, C // (r * r), H * r, W * r))


# ------------------------------------------------------------------------ conv 3-D
def conv3d_forward(x, weight, bias, *, stride=1, padding=0):
    """3-D cross-correlation over (depth or time, height, width), as F.conv3d.

    Args:
        x: (N, C, D, H, W), e.g. a clip with D frames
        weight: (K, C, T, R, S)
        bias: (K,) or None
        stride, padding: an int or a triple.
    Returns:
        out: (N, K, D_out, H_out, W_out)
        cache: (x, weight); this plain version has no backward.
    """
    stride, padding, _ = _check_conv("conv3d_forward", x, weight, bias, stride,
                                     padding, 1, 1, nd=3)
    cols = _windows(_pad(x, padding), weight.shape[2:], stride, (1, 1, 1))
    # (N, C, Do, Ho, Wo, T, R, S) . (K, C, T, R, S) -> (N, Do, Ho, Wo, K)
    out = np.tensordot(cols, weight, axes=([1, 5, 6, 7], [1, 2, 3, 4]))
    out = np.ascontiguousarray(out.transpose(0, 4, 1, 2, 3))
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1, 1)
    return out, (x, weight)


# -------------------------------------------------------------------------- sizes
def conv_output_size(w, f, p, s, d=1):
    """Output length of a convolution along one axis: (w + 2p - d(f-1) - 1) // s + 1.

    With d = 1 and an exact division this is the textbook (W - F + 2P) / S + 1.
    """
    for name, v, low in (("w", w, 1), ("f", f, 1), ("p", p, 0), ("s", s, 1),
                         ("d", d, 1)):
        check_number("conv_output_size", name, v, low=low, integer=True)
    eff = d * (f - 1) + 1
    if eff > w + 2 * p:
        raise ValueError(f"conv_output_size: the kernel (extent {eff}) is larger than "
                         f"the padded input ({w} + 2*{p} = {w + 2 * p})")
    return (w + 2 * p - eff) // s + 1


def receptive_field(layers):
    """Receptive field after each layer of a stack, l_0 = 1 included.

    l_k = l_{k-1} + (f'_k - 1) * s_1 * ... * s_{k-1},  f' = f + (d - 1)(f - 1)

    Args:
        layers: a list of (kernel, stride) or (kernel, stride, dilation) tuples,
            convolutions and poolings alike, first layer first.
    Returns:
        list of len(layers) + 1 ints: [1, l_1, ..., l_L].
    """
    fields, jump = [1], 1
    for i, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(f"receptive_field: layer {i} must be (kernel, stride) or "
                             f"(kernel, stride, dilation), got {layer!r}")
        f, s, d = (tuple(layer) + (1,))[:3]
        for name, v in (("kernel", f), ("stride", s), ("dilation", d)):
            check_number("receptive_field", f"layer {i} {name}", v, low=1, integer=True)
        fields.append(fields[-1] + (f + (d - 1) * (f - 1) - 1) * jump)
        jump *= s
    return fields
