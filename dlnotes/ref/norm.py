"""Normalisation layers in NumPy: batch, layer, group and instance norm, weight norm.

Batch, layer, group and instance norm differ only in the axes their statistics
run over; all four subtract a mean, divide by sqrt(var + eps) (the biased
variance) and apply a per-channel (or per-element) scale ``gamma`` and shift
``beta``. They share one backward, ``_normalise_backward``. Conventions follow
torch.nn: BatchNorm's running variance is the unbiased one and is updated as
``running = (1 - momentum) * running + momentum * batch``.
"""
import numpy as np

from .._validate import check_array, check_number, check_positive

__all__ = ["batchnorm_forward", "batchnorm_backward", "layernorm_forward",
           "layernorm_backward", "groupnorm_forward", "groupnorm_backward",
           "instancenorm_forward", "instancenorm_backward", "weightnorm_forward",
           "weightnorm_backward"]


def _normalise(x, axes, eps):
    """xhat = (x - mean) / sqrt(var + eps) over ``axes``; var is the biased one."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    return (x - mean) * inv_std, mean, var, inv_std


def _normalise_backward(dxhat, xhat, inv_std, axes):
    """Gradient through xhat = (x - mean) * inv_std, mean and var taken over axes.

    dx = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
    """
    return inv_std * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                      - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))


def _channel_shape(x):
    """(1, C, 1, ..., 1): broadcasts a per-channel vector against x (N, C, ...)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _check_affine(func, x, gamma, beta, shape):
    check_array(func, "gamma", gamma, shape=shape, floating=True)
    check_array(func, "beta", beta, shape=shape, floating=True)


def batchnorm_forward(x, gamma, beta, running_mean, running_var, *, training,
                      momentum=0.1, eps=1e-5):
    """Batch normalisation: per channel, statistics over the batch (and H, W).

    Training: out = gamma * (x - mean_B) / sqrt(var_B + eps) + beta, with the
    biased batch variance; the running estimates move towards the batch's mean and
    unbiased variance. Evaluation: the running estimates replace the batch's.

    Args:
        x: (N, C) or (N, C, H, W)
        gamma, beta: (C,)
        running_mean, running_var: (C,), not modified; the new ones are returned.
        training: use batch statistics and update the running ones.
        momentum: weight of the batch in the running update, in [0, 1].
        eps: added to the variance.
    Returns:
        out: shaped like x
        cache: what batchnorm_backward needs
        running_mean, running_var: (C,), updated in training, unchanged in eval.
    """
    func = "batchnorm_forward"
    check_array(func, "x", x, ndim=(2, 4), floating=True, what="(N, C) or (N, C, H, W)")
    C = x.shape[1]
    _check_affine(func, x, gamma, beta, (C,))
    check_array(func, "running_mean", running_mean, shape=(C,), floating=True)
    check_array(func, "running_var", running_var, shape=(C,), floating=True)
    check_number(func, "momentum", momentum, low=0, high=1)
    check_positive(func, "eps", eps)
    axes = (0,) + tuple(range(2, x.ndim))          # every axis but the channel
    shape = _channel_shape(x)
    if training:
        m = x.size // C                             # values per channel: N*H*W
        if m < 2:
            raise ValueError(f"{func}: expected more than 1 value per channel when "
                             f"training, got input of shape {x.shape}")
        # the same formula as _normalise, in fewer passes over memory (see below)
        mean = _channel_sum(x) / m
        xhat = x - mean.reshape(shape)
        var = _channel_dot(xhat, xhat) / m          # biased, as the normalisation uses
        inv_std = (1.0 / np.sqrt(var + eps)).reshape(shape)
        xhat *= inv_std
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        inv_std = 1.0 / np.sqrt(running_var.reshape(shape) + eps)
        xhat = (x - running_mean.reshape(shape)) * inv_std
        running_mean, running_var = running_mean.copy(), running_var.copy()
    out = xhat * gamma.reshape(shape)
    out += beta.reshape(shape)
    return out, (xhat, gamma, inv_std, axes, training), running_mean, running_var


def batchnorm_backward(dout, cache):
    """Gradients of batchnorm_forward with respect to x, gamma and beta.

    With m values per channel, dbeta = sum(dout) and dgamma = sum(dout * xhat);
    then _normalise_backward's formula with dxhat = gamma * dout becomes
    dx = gamma * inv_std * (dout - dbeta / m - xhat * dgamma / m): the two sums the
    parameters need anyway are all the backward through mean and variance needs.
    """
    xhat, gamma, inv_std, axes, training = cache
    shape = _channel_shape(dout)
    C = dout.shape[1]
    dbeta = _channel_sum(dout)                      # (C,)
    dgamma = _channel_dot(dout, xhat)               # (C,)
    scale = gamma.reshape(shape) * inv_std
    if not training:                                # running stats are constants
        return dout * scale, dgamma, dbeta
    m = dout.size // C
    dx = xhat * (dgamma / m).reshape(shape)
    np.subtract(dout, dx, out=dx)
    dx -= (dbeta / m).reshape(shape)
    dx *= scale
    return dx, dgamma, dbeta


def _channel_sum(a):
    """Sum of (N, C, ...) over every axis but the channel, reading memory in order."""
    if a.ndim == 2:
        return a.sum(axis=0)
    return a.reshape(a.shape[0], a.shape[1], -1).sum(axis=2).sum(axis=0)


def _channel_dot(a, b):
    """Per-channel sum of a * b for (N, C, ...) arrays, without the product's copy."""
    return np.einsum("ncp,ncp->c", a.reshape(a.shape[0], a.shape[1], -1),
                     b.reshape(b.shape[0], b.shape[1], -1))


def layernorm_forward(x, gamma, beta, *, eps=1e-5):
    """Layer normalisation: per sample, statistics over the last gamma.ndim axes.

    out = gamma * (x - mean) / sqrt(var + eps) + beta, as torch.nn.LayerNorm with
    normalized_shape = gamma.shape (e.g. (D,) for (N, D) or (C, H, W) for images).

    Args:
        x: (N, ..., *normalized_shape)
        gamma, beta: normalized_shape, elementwise scale and shift
    Returns:
        out: shaped like x
        cache: what layernorm_backward needs
    """
    func = "layernorm_forward"
    check_array(func, "x", x, floating=True)
    check_array(func, "gamma", gamma, floating=True)
    k = gamma.ndim
    if k == 0 or x.ndim <= k or tuple(x.shape[-k:]) != tuple(gamma.shape):
        raise ValueError(f"{func}: gamma's shape {gamma.shape} must be the last axes "
                         f"of x after the batch axis, got x of shape {x.shape}")
    check_array(func, "beta", beta, shape=gamma.shape, floating=True)
    check_positive(func, "eps", eps)
    axes = tuple(range(x.ndim - k, x.ndim))
    xhat, _, _, inv_std = _normalise(x, axes, eps)
    return gamma * xhat + beta, (xhat, gamma, inv_std, axes)


def layernorm_backward(dout, cache):
    """Gradients of layernorm_forward with respect to x, gamma and beta."""
    xhat, gamma, inv_std, axes = cache
    batch_axes = tuple(range(dout.ndim - len(axes)))
    dgamma = (dout * xhat).sum(axis=batch_axes)
    dbeta = dout.sum(axis=batch_axes)
    dx = _normalise_backward(dout * gamma, xhat, inv_std, axes)
    return dx, dgamma, dbeta


def groupnorm_forward(x, gamma, beta, *, num_groups, eps=1e-5):
    """Group normalisation: per sample, statistics over each group of channels
    (and their H, W); then a per-channel scale and shift.

    Args:
        x: (N, C, *spatial), C divisible by num_groups
        gamma, beta: (C,)
        num_groups: 1 is layer norm over (C, H, W); C is instance norm.
    Returns:
        out: shaped like x
        cache: what groupnorm_backward needs
    """
    func = "groupnorm_forward"
    check_array(func, "x", x, ndim=(2, 3, 4, 5), floating=True, what="(N, C, *spatial)")
    N, C = x.shape[:2]
    check_positive(func, "num_groups", num_groups, integer=True)
    if C % num_groups:
        raise ValueError(f"{func}: the {C} channels must divide into num_groups="
                         f"{num_groups} groups")
    _check_affine(func, x, gamma, beta, (C,))
    check_positive(func, "eps", eps)
    xg = x.reshape(N, num_groups, -1)               # (N, G, C/G * spatial)
    xhat, _, _, inv_std = _normalise(xg, (2,), eps)
    shape = _channel_shape(x)
    xhat = xhat.reshape(x.shape)
    out = gamma.reshape(shape) * xhat + beta.reshape(shape)
    return out, (xhat, gamma, inv_std, num_groups)


def groupnorm_backward(dout, cache):
    """Gradients of groupnorm_forward with respect to x, gamma and beta."""
    xhat, gamma, inv_std, num_groups = cache
    axes = (0,) + tuple(range(2, dout.ndim))
    dgamma = (dout * xhat).sum(axis=axes)
    dbeta = dout.sum(axis=axes)
    N = dout.shape[0]
    dxhat = (dout * gamma.reshape(_channel_shape(dout))).reshape(N, num_groups, -1)
    dx = _normalise_backward(dxhat, xhat.reshape(N, num_groups, -1), inv_std, (2,))
    return dx.reshape(dout.shape), dgamma, dbeta


def instancenorm_forward(x, gamma, beta, *, eps=1e-5):
    """Instance normalisation: per sample and per channel, statistics over H, W
    (group norm with one channel a group), then a per-channel scale and shift.

    Args:
        x: (N, C, L) or (N, C, H, W), more than one value per channel
        gamma, beta: (C,)
    """
    func = "instancenorm_forward"
    check_array(func, "x", x, ndim=(3, 4, 5), floating=True,
                what="(N, C, L), (N, C, H, W) or (N, C, D, H, W)")
    if np.prod(x.shape[2:]) < 2:
        raise ValueError(f"{func}: expected more than 1 spatial value per channel, "
                         f"got input of shape {x.shape}")
    _check_affine(func, x, gamma, beta, (x.shape[1],))
    return groupnorm_forward(x, gamma, beta, num_groups=x.shape[1], eps=eps)


def instancenorm_backward(dout, cache):
    """Gradients of instancenorm_forward with respect to x, gamma and beta."""
    return groupnorm_backward(dout, cache)


def weightnorm_forward(v, g):
    """Weight normalisation w = g * v / ||v||: direction from v, length from g.

    The norm runs over every axis but the first, one per output unit, as
    torch.nn.utils.parametrizations.weight_norm(layer, dim=0).

    Args:
        v: (D_out, ...) the direction parameter
        g: (D_out,) the length of each output unit's weight vector
    Returns:
        w: shaped like v
        cache: what weightnorm_backward needs
    """
    func = "weightnorm_forward"
    check_array(func, "v", v, ndim=(1, 2, 3, 4, 5), floating=True)
    check_array(func, "g", g, shape=(v.shape[0],), floating=True)
    shape = (-1,) + (1,) * (v.ndim - 1)
    norm = np.sqrt((v ** 2).sum(axis=tuple(range(1, v.ndim)), keepdims=True))
    direction = v / norm
    return g.reshape(shape) * direction, (direction, g, norm)


def weightnorm_backward(dw, cache):
    """Gradients of weightnorm_forward with respect to v and g."""
    direction, g, norm = cache
    axes = tuple(range(1, dw.ndim))
    dg = (dw * direction).sum(axis=axes)           # (D_out,)
    shape = (-1,) + (1,) * (dw.ndim - 1)
    # the part of dw along v changes only the length, which g fixes: remove it
    dv = g.reshape(shape) / norm * (dw - dg.reshape(shape) * direction)
    return dv, dg
