"""Data augmentation for image batches: shift, rotate, scale, flip.

Each takes (N, H, W) or (N, C, H, W) images as a NumPy array or a torch tensor
and returns the same kind. Shift, rotation and scaling are one affine warp
(torch's ``affine_grid`` + ``grid_sample``, bilinear, zeros outside the image);
``random_affine`` draws a different warp per image, the usual training-time use.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from ._validate import check_array, check_number

__all__ = ["affine", "shift", "rotate", "scale", "flip", "random_affine", "AugmentedBatches"]


def _per_image(func, name, value, n):
    v = torch.as_tensor(np.asarray(value, dtype=np.float64) if not torch.is_tensor(value)
                        else value, dtype=torch.float64)
    if v.ndim == 0:
        v = v.expand(n)
    if v.shape != (n,):
        raise ValueError(f"{func}: {name} must be a number or one per image ({n},), "
                         f"got shape {tuple(v.shape)}")
    return v


def _as_batch(func, images):
    check_array(func, "images", images, ndim=(3, 4), floating=True,
                what="(N, H, W) or (N, C, H, W)")
    is_numpy = not torch.is_tensor(images)
    x = torch.as_tensor(images) if is_numpy else images
    squeeze = x.ndim == 3
    return (x.unsqueeze(1) if squeeze else x), is_numpy, squeeze


def _back(x, is_numpy, squeeze):
    x = x.squeeze(1) if squeeze else x
    return x.numpy() if is_numpy else x


def affine(images, *, degrees=0.0, factor=1.0, dx=0.0, dy=0.0):
    """Rotate by ``degrees`` (counter-clockwise), scale by ``factor`` about the
    centre, then shift by (dx, dy) pixels (right, down); each a number or one
    value per image.

    Args:
        images: (N, H, W) or (N, C, H, W), float
    Returns:
        the warped images, same shape and kind (NumPy or torch)
    """
    func = "affine"
    x, is_numpy, squeeze = _as_batch(func, images)
    N, _, H, W = x.shape
    a = _per_image(func, "degrees", degrees, N) * math.pi / 180
    s = _per_image(func, "factor", factor, N)
    if (s <= 0).any():
        raise ValueError(f"{func}: factor must be > 0, got {s.min().item()}")
    tx = _per_image(func, "dx", dx, N) * 2 / W      # pixels -> [-1, 1] units
    ty = _per_image(func, "dy", dy, N) * 2 / H
    # theta maps output coordinates to input ones: the inverse of the warp
    cos, sin = torch.cos(a) / s, torch.sin(a) / s
    theta = torch.stack([torch.stack([cos, -sin * H / W, -(cos * tx - sin * ty * H / W)], 1),
                         torch.stack([sin * W / H, cos, -(sin * tx * W / H + cos * ty)], 1)],
                        1).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros",
                        align_corners=False)
    return _back(out, is_numpy, squeeze)


def shift(images, dx, dy):
    """Shift by (dx, dy) pixels, right and down; what leaves the frame is lost."""
    return affine(images, dx=dx, dy=dy)


def rotate(images, degrees):
    """Rotate counter-clockwise about the centre by ``degrees``."""
    return affine(images, degrees=degrees)


def scale(images, factor):
    """Zoom about the centre by ``factor`` (> 1 enlarges, < 1 shrinks)."""
    return affine(images, factor=factor)


def flip(images, *, horizontal=True):
    """Mirror left-right (``horizontal``) or top-bottom. Wrong for digits, whose
    mirror image is another symbol; right for most photographs."""
    x, is_numpy, squeeze = _as_batch("flip", images)
    return _back(torch.flip(x, dims=[3 if horizontal else 2]), is_numpy, squeeze)


def random_affine(images, *, max_degrees=15.0, max_shift=2.0, scale_range=(0.9, 1.1),
                  generator=None):
    """A different random rotation, scaling and shift for every image.

    Args:
        images: (N, H, W) or (N, C, H, W)
        max_degrees: angles uniform in [-max_degrees, max_degrees]
        max_shift: shifts uniform in [-max_shift, max_shift] pixels, each axis
        scale_range: factors uniform in this interval
        generator: a ``torch.Generator`` for reproducible draws
    """
    func = "random_affine"
    check_number(func, "max_degrees", max_degrees, low=0)
    check_number(func, "max_shift", max_shift, low=0)
    lo, hi = scale_range
    check_number(func, "scale_range[0]", lo, low=0, low_open=True)
    check_number(func, "scale_range[1]", hi, low=lo)
    n = len(images)

    def uniform(a, b):
        return a + (b - a) * torch.rand(n, generator=generator, dtype=torch.float64)

    return affine(images, degrees=uniform(-max_degrees, max_degrees),
                  factor=uniform(lo, hi), dx=uniform(-max_shift, max_shift),
                  dy=uniform(-max_shift, max_shift))


class AugmentedBatches:
    """Wrap re-iterable batches ``(x, y)`` (e.g. ``train.loader``) so that every
    pass draws fresh ``random_affine`` warps of x; ``fit`` accepts it as train_data.

    Args:
        batches: re-iterable (x, y) pairs with x of shape (B, H, W) or (B, C, H, W)
        seed: seeds the warps' generator once, so a run is reproducible
        **kwargs: passed to random_affine (max_degrees, max_shift, scale_range)
    """

    def __init__(self, batches, *, seed=0, **kwargs):
        self.batches, self.kwargs = batches, kwargs
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for x, y in self.batches:
            yield random_affine(x, generator=self.generator, **self.kwargs), y
