"""ShuffleNet V1 and V2, and SqueezeNet.

ShuffleNet V1 makes its 1x1 convolutions grouped and mixes the groups with a
channel shuffle; V2 splits the channels in two, transforms one half with
equal-width convolutions and concatenates. SqueezeNet's fire module squeezes the
channels with 1x1 convolutions before cheap 1x1 and 3x3 expansions. Defaults build
the papers' ImageNet networks; ``small=True`` builds a few blocks for 28x28 inputs.
"""
import torch
from torch import nn

from .._validate import check_choice, check_number, check_positive
from .cnn import CountMixin
from .lightweight import conv_bn

__all__ = ["ChannelShuffle", "ShuffleUnitV1", "ShuffleNetV1", "ShuffleUnitV2",
           "ShuffleNetV2", "Fire", "SqueezeNet"]


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ChannelShuffle(nn.Module):
    """Interleave the channels of ``groups`` groups (reshape, transpose, flatten);
    the same permutation as torch.nn.ChannelShuffle and ref.channel_shuffle."""

    def __init__(self, groups):
        super().__init__()
        self.groups = check_positive("ChannelShuffle", "groups", groups, integer=True)

    def forward(self, x):
        if x.shape[1] % self.groups:
            raise ValueError(f"ChannelShuffle: groups={self.groups} must divide the "
                             f"{x.shape[1]} channels of the input")
        return channel_shuffle(x, self.groups)


# ----------------------------------------------------------------- ShuffleNet V1
class ShuffleUnitV1(nn.Module):
    """1x1 group conv (to out/4 channels) - shuffle - 3x3 depthwise - 1x1 group conv.

    Stride 1 adds the input (out = relu(x + F(x))); stride 2 concatenates a 3x3
    average-pooled copy of the input, so F produces out - in channels.
    ``first_groups`` (1 for the very first unit, whose input has few channels)
    overrides the groups of the first 1x1 conv.
    """

    def __init__(self, in_channels, out_channels, groups, stride, first_groups=None):
        super().__init__()
        g1 = groups if first_groups is None else first_groups
        mid = out_channels // 4
        branch = out_channels - in_channels if stride == 2 else out_channels
        for c in (in_channels, mid, branch):
            if c % groups or c <= 0:
                raise ValueError(f"ShuffleUnitV1: groups={groups} must divide the "
                                 f"channels {in_channels} -> {mid} -> {branch}")
        self.stride = stride
        self.reduce = conv_bn(in_channels, mid, 1, groups=g1)
        self.shuffle = ChannelShuffle(groups)
        self.depthwise = conv_bn(mid, mid, 3, stride, groups=mid, act=None)
        self.expand = conv_bn(mid, branch, 1, groups=groups, act=None)
        self.pool = nn.AvgPool2d(3, 2, 1) if stride == 2 else None

    def forward(self, x):
        out = self.expand(self.depthwise(self.shuffle(self.reduce(x))))
        if self.stride == 2:
            return torch.cat([self.pool(x), torch.relu(out)], dim=1)
        return torch.relu(x + out)


class ShuffleNetV1(CountMixin, nn.Module):
    """ShuffleNet V1 (Zhang et al. 2018, Table 1): stem (3x3/2 conv, 3x3/2 max
    pooling), three stages of 4, 8, 4 units, global pooling, FC.

    Stage widths for g = 1, 2, 3, 4, 8 come from the paper; ``width_mult`` (its
    "s x") scales them, rounded to a multiple of 4 g. 1x, g = 3 at 224x224:
    1.9 M parameters, 138 M MACs. ``small=True``: a quarter of the widths, the stem
    at stride 1 without pooling, two stages of 2 units, for 28x28 inputs.
    """

    WIDTHS = {1: (144, 288, 576), 2: (200, 400, 800), 3: (240, 480, 960),
              4: (272, 544, 1088), 8: (384, 768, 1536)}

    def __init__(self, groups=3, width_mult=1.0, num_classes=1000, in_channels=3,
                 small=False):
        super().__init__()
        check_choice("ShuffleNetV1", "groups", groups, tuple(self.WIDTHS))
        s = check_number("ShuffleNetV1", "width_mult", width_mult, low=0, low_open=True)
        q = 4 * groups
        s = s / 4 if small else s
        widths = [max(q, int(round(c * s / q)) * q) for c in self.WIDTHS[groups]]
        if small:
            widths, repeats, stem = widths[:2], (2, 2), 12
            self.stem = conv_bn(in_channels, stem, 3, 1)
        else:
            repeats, stem = (4, 8, 4), 24
            self.stem = nn.Sequential(conv_bn(in_channels, stem, 3, 2),
                                      nn.MaxPool2d(3, 2, 1))
        units, c = [], stem
        for i, (w, n) in enumerate(zip(widths, repeats)):
            for j in range(n):
                first = 1 if i == 0 and j == 0 else None
                units.append(ShuffleUnitV1(c, w, groups, 2 if j == 0 else 1, first))
                c = w
        self.stages = nn.Sequential(*units)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Linear(c, num_classes))

    def forward(self, x):
        return self.classifier(self.stages(self.stem(x)))


# ----------------------------------------------------------------- ShuffleNet V2
class ShuffleUnitV2(nn.Module):
    """ShuffleNet V2's unit. Stride 1: split the channels in two halves, keep one,
    send the other through 1x1 - 3x3 depthwise - 1x1 (equal widths), concatenate,
    shuffle with 2 groups. Stride 2: both halves see the whole input (one through
    3x3 depthwise - 1x1), so the channels double and the size halves.
    """

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        if out_channels % 2 or (stride == 1 and in_channels != out_channels):
            raise ValueError(f"ShuffleUnitV2: expected an even out_channels, equal to "
                             f"in_channels at stride 1, got {in_channels} -> "
                             f"{out_channels} at stride {stride}")
        half = out_channels // 2
        self.stride = stride
        c = in_channels if stride == 2 else half
        if stride == 2:
            self.branch1 = nn.Sequential(
                conv_bn(in_channels, in_channels, 3, 2, groups=in_channels, act=None),
                conv_bn(in_channels, half, 1))
        self.branch2 = nn.Sequential(conv_bn(c, half, 1),
                                     conv_bn(half, half, 3, stride, groups=half,
                                             act=None),
                                     conv_bn(half, half, 1))
        self.shuffle = ChannelShuffle(2)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat([x1, self.branch2(x2)], dim=1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x)], dim=1)
        return self.shuffle(out)


class ShuffleNetV2(CountMixin, nn.Module):
    """ShuffleNet V2 (Ma et al. 2018, Table 5): stem, three stages of 4, 8, 4 units,
    a 1x1 conv, global pooling, FC. Widths for 0.5x, 1x, 1.5x, 2x from the paper
    (other multipliers scale 1x's widths to even numbers). 1x at 224x224: 2.3 M
    parameters, 146 M MACs. ``small=True``: widths 24 s and 48 s, two stages of 2
    units, a 128-channel last conv, for 28x28 inputs.
    """

    WIDTHS = {0.5: (48, 96, 192, 1024), 1.0: (116, 232, 464, 1024),
              1.5: (176, 352, 704, 1024), 2.0: (244, 488, 976, 2048)}

    def __init__(self, width_mult=1.0, num_classes=1000, in_channels=3, small=False):
        super().__init__()
        s = check_number("ShuffleNetV2", "width_mult", width_mult, low=0, low_open=True)
        if s in self.WIDTHS:
            widths = self.WIDTHS[s]
        else:
            widths = tuple(max(2, int(round(c * s / 2)) * 2) for c in (116, 232, 464)
                           ) + (1024,)
        if small:
            widths = tuple(max(2, int(round(c * s / 2)) * 2) for c in (24, 48)) + (128,)
            repeats, c = (2, 2), 16
            self.stem = conv_bn(in_channels, c, 3, 1)
        else:
            repeats, c = (4, 8, 4), 24
            self.stem = nn.Sequential(conv_bn(in_channels, c, 3, 2),
                                      nn.MaxPool2d(3, 2, 1))
        units = []
        for w, n in zip(widths[:-1], repeats):
            for j in range(n):
                units.append(ShuffleUnitV2(c, w, 2 if j == 0 else 1))
                c = w
        self.stages = nn.Sequential(*units)
        self.conv_last = conv_bn(c, widths[-1], 1)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Linear(widths[-1], num_classes))

    def forward(self, x):
        return self.classifier(self.conv_last(self.stages(self.stem(x))))


# -------------------------------------------------------------------- SqueezeNet
class Fire(CountMixin, nn.Module):
    """SqueezeNet's fire module: squeeze to s1 channels with 1x1 convolutions (ReLU),
    then expand with e1 1x1 and e3 3x3 convolutions side by side (ReLU), concatenated.
    The paper keeps s1 < e1 + e3 (usually e1 = e3 = 4 s1), so the 3x3 filters see
    few input channels.
    """

    def __init__(self, in_channels, squeeze, expand1x1, expand3x3):
        super().__init__()
        for name, v in (("squeeze", squeeze), ("expand1x1", expand1x1),
                        ("expand3x3", expand3x3)):
            check_positive("Fire", name, v, integer=True)
        self.out_channels = expand1x1 + expand3x3
        self.squeeze = nn.Sequential(nn.Conv2d(in_channels, squeeze, 1),
                                     nn.ReLU(inplace=True))
        self.expand1x1 = nn.Sequential(nn.Conv2d(squeeze, expand1x1, 1),
                                       nn.ReLU(inplace=True))
        self.expand3x3 = nn.Sequential(nn.Conv2d(squeeze, expand3x3, 3, padding=1),
                                       nn.ReLU(inplace=True))

    def forward(self, x):
        s = self.squeeze(x)
        return torch.cat([self.expand1x1(s), self.expand3x3(s)], dim=1)


class SqueezeNet(CountMixin, nn.Module):
    """SqueezeNet (Iandola et al. 2016) version "1_0" (the paper's) or "1_1" (3x3
    stem and earlier pooling: the same accuracy with ~2.4x fewer MACs), as in the
    authors' repository. No FC layer: a 1x1 conv to the classes, then global average
    pooling. 1.0: 1.25 M parameters. ``small=True``: four fire modules, 28x28 inputs.
    """

    def __init__(self, version="1_0", num_classes=1000, in_channels=3, small=False,
                 dropout=0.5):
        super().__init__()
        check_choice("SqueezeNet", "version", version, ("1_0", "1_1"))
        pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
        if small:
            layers = [nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(inplace=True),
                      pool(), Fire(32, 8, 24, 24), Fire(48, 8, 24, 24), pool(),
                      Fire(48, 12, 48, 48), Fire(96, 12, 48, 48)]
            c = 96
        elif version == "1_0":
            layers = [nn.Conv2d(in_channels, 96, 7, 2), nn.ReLU(inplace=True), pool(),
                      Fire(96, 16, 64, 64), Fire(128, 16, 64, 64),
                      Fire(128, 32, 128, 128),
                      pool(), Fire(256, 32, 128, 128), Fire(256, 48, 192, 192),
                      Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), pool(),
                      Fire(512, 64, 256, 256)]
            c = 512
        else:
            layers = [nn.Conv2d(in_channels, 64, 3, 2), nn.ReLU(inplace=True), pool(),
                      Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                      Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                      Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                      Fire(384, 64, 256, 256), Fire(512, 64, 256, 256)]
            c = 512
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(dropout),
                                        nn.Conv2d(c, num_classes, 1),
                                        nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1),
                                        nn.Flatten())

    def forward(self, x):
        return self.classifier(self.features(x))
