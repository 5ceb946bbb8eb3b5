"""MobileNet V1 and V2, and measuring a model's latency.

``DepthwiseSeparable`` (a 3x3 depthwise and a 1x1 pointwise convolution) is
MobileNet V1's block; ``InvertedResidual`` (1x1 expansion, 3x3 depthwise, linear
1x1 projection, shortcut) is MobileNet V2's. The models' defaults build the papers'
ImageNet networks (count them on the ``meta`` device); ``small=True`` builds a few
blocks for 28x28 inputs. ShuffleNet and SqueezeNet are in ``shufflenet.py``.
"""
import statistics
import time
from typing import NamedTuple

import torch
from torch import nn

from .._validate import check_number, check_positive
from .cnn import CountMixin

__all__ = ["DepthwiseSeparable", "MobileNetV1", "InvertedResidual", "MobileNetV2",
           "Latency", "measure_latency"]


def _width(func, width_mult):
    return check_number(func, "width_mult", width_mult, low=0, low_open=True)


def conv_bn(c_in, c_out, k, stride=1, groups=1, act=nn.ReLU):
    """k x k convolution (padding k // 2, no bias), batch norm, then ``act`` if any."""
    layers = [nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
              nn.BatchNorm2d(c_out)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


def _divisible(v, divisor=8):
    """Round v to the nearest multiple of divisor, never below 90 % of v (as the
    MobileNet V2 reference code and torchvision do)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


# ------------------------------------------------------------------ MobileNet V1
class DepthwiseSeparable(CountMixin, nn.Module):
    """3x3 depthwise conv-BN-ReLU (stride here), then 1x1 pointwise conv-BN-ReLU.

    Costs h w 9 C_in + h w C_in C_out MACs instead of h w 9 C_in C_out.
    """

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.depthwise = conv_bn(in_channels, in_channels, 3, stride,
                                 groups=in_channels)
        self.pointwise = conv_bn(in_channels, out_channels, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class MobileNetV1(CountMixin, nn.Module):
    """MobileNet V1 (Howard et al. 2017, Table 1): a strided 3x3 conv, 13 separable
    blocks, global average pooling, one FC.

    ``width_mult`` (alpha) thins every layer to int(alpha C) channels; the paper's
    resolution multiplier is simply a smaller input. 1.0 at 224x224: 4.2 M
    parameters, 569 M MACs. ``small=True``: 5 blocks for 28x28 inputs.
    """

    IMAGENET = (32, [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
                + [(512, 1)] * 5 + [(1024, 2), (1024, 1)])
    SMALL = (8, [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1)])

    def __init__(self, width_mult=1.0, num_classes=1000, in_channels=3, small=False):
        super().__init__()
        alpha = _width("MobileNetV1", width_mult)
        stem, blocks = self.SMALL if small else self.IMAGENET
        c = max(8, int(stem * alpha))
        layers = [conv_bn(in_channels, c, 3, 1 if small else 2)]
        for out, stride in blocks:
            out = max(8, int(out * alpha))
            layers.append(DepthwiseSeparable(c, out, stride))
            c = out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Linear(c, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


# ------------------------------------------------------------------ MobileNet V2
class InvertedResidual(CountMixin, nn.Module):
    """MobileNet V2's block: 1x1 expansion to t C_in channels (ReLU6), 3x3 depthwise
    (ReLU6, stride here), 1x1 *linear* projection (no activation: the linear
    bottleneck); the input is added when the shape is kept (stride 1, C_in = C_out).
    """

    def __init__(self, in_channels, out_channels, stride, expand_ratio):
        super().__init__()
        check_positive("InvertedResidual", "expand_ratio", expand_ratio, integer=True)
        if stride not in (1, 2):
            raise ValueError(f"InvertedResidual: stride must be 1 or 2, got {stride}")
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        layers = []
        if expand_ratio != 1:
            layers.append(conv_bn(in_channels, hidden, 1, act=nn.ReLU6))
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                   conv_bn(hidden, out_channels, 1, act=None)]          # linear
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        out = self.conv(x)
        return x + out if self.use_residual else out


class MobileNetV2(CountMixin, nn.Module):
    """MobileNet V2 (Sandler et al. 2018, Table 2): rows (t, c, n, s) of n inverted
    residual blocks with expansion t and c channels, the first with stride s.

    Widths are alpha c rounded to a multiple of 8; the last 1x1 conv has 1280
    channels (alpha 1280 when alpha > 1). 1.0 at 224x224: 3.5 M parameters, 300 M
    MACs. ``expand_ratio`` replaces every t > 1 (for searches); ``small=True``
    builds four rows for 28x28 inputs with a 64-channel last conv.
    """

    IMAGENET = (32, 1280, [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                           (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)])
    SMALL = (8, 64, [(1, 8, 1, 1), (6, 12, 1, 2), (6, 16, 2, 2), (6, 24, 1, 1)])

    def __init__(self, width_mult=1.0, num_classes=1000, in_channels=3, small=False,
                 expand_ratio=None, dropout=0.2):
        super().__init__()
        alpha = _width("MobileNetV2", width_mult)
        if expand_ratio is not None:
            check_positive("MobileNetV2", "expand_ratio", expand_ratio, integer=True)
        stem, last, rows = self.SMALL if small else self.IMAGENET
        c = _divisible(stem * alpha)
        layers = [conv_bn(in_channels, c, 3, 1 if small else 2, act=nn.ReLU6)]
        for t, out, n, s in rows:
            t = expand_ratio if expand_ratio is not None and t > 1 else t
            out = _divisible(out * alpha)
            for i in range(n):
                layers.append(InvertedResidual(c, out, s if i == 0 else 1, t))
                c = out
        last = _divisible(last * max(1.0, alpha))
        layers.append(conv_bn(c, last, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Dropout(dropout),
                                        nn.Linear(last, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


# ----------------------------------------------------------------------- latency
class Latency(NamedTuple):
    """Forward times in seconds: the median, the interquartile range, every run."""
    median: float
    spread: float
    times: tuple


def measure_latency(model, input_shape, *, device=None, warmup=3, repeats=10):
    """Time ``model``'s forward pass on a zero input of ``input_shape``.

    The model runs in eval mode without autograd. ``warmup`` untimed calls first
    (allocator, kernel selection, lazy initialisation); on a GPU every timed call
    is bracketed by ``torch.cuda.synchronize`` because kernels run asynchronously.
    Report the median (robust to a busy machine) and the spread, not the mean.

    Args:
        model: an nn.Module (moved to ``device``).
        input_shape: the input's shape including the batch, e.g. (1, 3, 224, 224).
        device: where to run; the model's device by default.
        warmup, repeats: untimed and timed calls.
    Returns:
        Latency(median, spread, times), seconds; spread is the interquartile range.
    """
    check_number("measure_latency", "warmup", warmup, low=0, integer=True)
    check_positive("measure_latency", "repeats", repeats, integer=True)
    if device is None:
        p = next(model.parameters(), None)
        device = p.device if p is not None else torch.device("cpu")
    device = torch.device(device)
    model = model.to(device)
    was_training = model.training
    model.eval()
    x = torch.zeros(tuple(input_shape), device=device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    times = []
    try:
        with torch.inference_mode():
            for i in range(warmup + repeats):
                sync()
                start = time.perf_counter()
                model(x)
                sync()
                if i >= warmup:
                    times.append(time.perf_counter() - start)
    finally:
        model.train(was_training)
    q = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    return Latency(statistics.median(times), q[2] - q[0], tuple(times))
