"""Normalisation and dropout layers written out in PyTorch.

Same arguments, parameter and buffer names as torch.nn (weight, bias,
running_mean, running_var, num_batches_tracked), so a built-in's ``state_dict``
loads into ours; the statistics are computed with plain tensor operations, the
same formulas as ``dlnotes.ref.norm``, and autograd does the backward.
"""
import torch
from torch import nn

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "Dropout"]


def _normalise(x, dims, eps):
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, unbiased=False, keepdim=True)     # biased, as in training
    return (x - mean) / torch.sqrt(var + eps), mean, var


class _BatchNorm(nn.Module):
    """Per-channel statistics over every axis but dim 1; running estimates for eval."""
    _ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True):
        super().__init__()
        if num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be > 0, "
                             f"got {num_features}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or "
                             f"None, got {momentum}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x):
        if x.ndim not in self._ndims:
            raise ValueError(f"{type(self).__name__}: expected {self._layout} input, "
                             f"got shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} "
                             f"channels, got shape {tuple(x.shape)}")
        shape = (1, -1) + (1,) * (x.ndim - 2)
        dims = [0] + list(range(2, x.ndim))
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            m = x.numel() // x.shape[1]
            if m < 2:
                raise ValueError(f"{type(self).__name__}: expected more than 1 value "
                                 f"per channel when training, got shape {tuple(x.shape)}")
            xhat, mean, var = _normalise(x, dims, self.eps)
            if self.training and self.track_running_stats:
                with torch.no_grad():
                    self.num_batches_tracked += 1
                    # momentum=None: a plain average over every batch so far
                    mom = (1.0 / self.num_batches_tracked.item()
                           if self.momentum is None else self.momentum)
                    unbiased = var.reshape(-1) * m / (m - 1)
                    self.running_mean.mul_(1 - mom).add_(mom * mean.reshape(-1))
                    self.running_var.mul_(1 - mom).add_(mom * unbiased)
        else:
            xhat = ((x - self.running_mean.reshape(shape))
                    / torch.sqrt(self.running_var.reshape(shape) + self.eps))
        if self.affine:
            xhat = xhat * self.weight.reshape(shape) + self.bias.reshape(shape)
        return xhat

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs, as torch.nn.BatchNorm1d."""
    _ndims, _layout = (2, 3), "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, as torch.nn.BatchNorm2d."""
    _ndims, _layout = (4,), "(N, C, H, W)"


class LayerNorm(nn.Module):
    """Per-sample statistics over the last len(normalized_shape) axes, as
    torch.nn.LayerNorm; the same in training and evaluation."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape))
            self.bias = (nn.Parameter(torch.zeros(self.normalized_shape)) if bias
                         else None)
        else:
            self.weight = self.bias = None

    def forward(self, x):
        k = len(self.normalized_shape)
        if tuple(x.shape[-k:]) != self.normalized_shape:
            raise ValueError(f"LayerNorm: expected input ending in "
                             f"{self.normalized_shape}, got shape {tuple(x.shape)}")
        xhat, _, _ = _normalise(x, list(range(x.ndim - k, x.ndim)), self.eps)
        if self.weight is not None:
            xhat = xhat * self.weight
        if self.bias is not None:
            xhat = xhat + self.bias
        return xhat

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(nn.Module):
    """Per-sample statistics over groups of channels, as torch.nn.GroupNorm."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True):
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must divide into "
                             f"num_groups={num_groups} groups")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        if affine:
            self.weight = nn.Parameter(torch.ones(num_channels))
            self.bias = nn.Parameter(torch.zeros(num_channels))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected (N, {self.num_channels}, *) input, "
                             f"got shape {tuple(x.shape)}")
        xg = x.reshape(x.shape[0], self.num_groups, -1)
        xhat = _normalise(xg, [2], self.eps)[0].reshape(x.shape)
        if self.affine:
            shape = (1, -1) + (1,) * (x.ndim - 2)
            xhat = xhat * self.weight.reshape(shape) + self.bias.reshape(shape)
        return xhat

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class Dropout(nn.Module):
    """Inverted dropout, as torch.nn.Dropout: in training zero each element with
    probability p and scale the rest by 1/(1-p); the identity in evaluation."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = 1.0 - self.p
        mask = torch.empty_like(x).bernoulli_(keep)    # 1 with probability 1-p
        return x * mask / keep

    def extra_repr(self):
        return f"p={self.p}"
