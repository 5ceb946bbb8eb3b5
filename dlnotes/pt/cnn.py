"""Classic convolutional networks as small, configurable PyTorch builds.

LeNet-5, AlexNet, VGG, an Inception block (and GoogLeNet from it), the ResNet
basic block (and ResNet-18), a DenseNet block (and DenseNet-121). The defaults of
the ``*_imagenet``-style builders reproduce the published ImageNet layouts, so their
parameter counts can be compared with the papers'; the classes take small widths
for lessons. Every model has ``num_params()``; ``count_params`` and ``count_macs``
work on any module.
"""
import torch
from torch import nn

from .._validate import check_positive

__all__ = ["count_params", "count_macs", "CountMixin", "LeNet5", "AlexNet", "VGG",
           "VGG_CONFIGS", "InceptionBlock", "GoogLeNet", "BasicBlock", "ResNet",
           "resnet18", "DenseLayer", "DenseBlock", "DenseNet", "densenet121",
           "activation_counts", "field_stack", "empirical_receptive_field"]


def count_params(model, *, trainable_only=False):
    """Number of parameters (scalars) of a module."""
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable_only)


def count_macs(model, input_shape, *, per_layer=False):
    """Multiply-accumulates of one forward pass through conv and linear layers.

    A conv output element costs (C_in / groups) * prod(kernel) MACs, a linear one
    in_features; normalisations, activations and pooling are not counted (they
    are small next to these). Counted with forward hooks on a zero input.

    Args:
        model: an nn.Module.
        input_shape: the input's shape including the batch, e.g. (1, 3, 224, 224).
        per_layer: also return a list of (name, MACs) per counted layer.
    Returns:
        int total (and the list when per_layer).
    """
    layers = []

    def hook(name):
        def count(module, inputs, output):
            if isinstance(module, nn.Linear):
                macs = output.numel() * module.in_features
            elif isinstance(module, nn.modules.conv._ConvTransposeNd):
                # each input element stamps a (C_out/groups) x kernel block
                macs = (inputs[0].numel() * module.out_channels // module.groups
                        * _prod(module.kernel_size))
            else:
                macs = (output.numel() * module.in_channels // module.groups
                        * _prod(module.kernel_size))
            layers.append((name, int(macs)))
        return count

    kinds = (nn.Linear, nn.modules.conv._ConvNd)
    _run_hooked(model, input_shape, {m: hook(n) for n, m in model.named_modules()
                                     if isinstance(m, kinds)})
    total = sum(m for _, m in layers)
    return (total, layers) if per_layer else total


def activation_counts(model, input_shape):
    """Number of values each leaf layer outputs in one forward pass, in order.

    The memory a forward pass keeps for the backward is about the sum of these
    (times 4 bytes in float32, times the batch). Works on the ``meta`` device.

    Args:
        model: an nn.Module.
        input_shape: the input's shape including the batch, e.g. (1, 3, 224, 224).
    Returns:
        list of (name, numel) for every module without children.
    """
    counts = []
    _run_hooked(model, input_shape, {
        m: (lambda mod, inp, out, name=n: counts.append((name, out.numel())))
        for n, m in model.named_modules() if not list(m.children())})
    return counts


def _run_hooked(model, input_shape, hooks):
    """One eval-mode, no-grad forward pass of a zero input with forward hooks
    attached ({module: hook}); removes them and restores train/eval after."""
    handles = [m.register_forward_hook(h) for m, h in hooks.items()]
    was_training = model.training
    model.eval()
    try:
        p = next(model.parameters(), None)
        with torch.no_grad():
            model(torch.zeros(tuple(input_shape),
                              device=p.device if p is not None else None))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)


def field_stack(layers):
    """A one-channel stack of convolutions with all-one kernels, for measuring
    receptive fields.

    A strided all-ones convolution reaches the same pixels as a pooling window of
    its size, so poolings are written as strided layers too.

    Args:
        layers: (kernel, stride) or (kernel, stride, dilation) tuples, as for
            ``ref.receptive_field``.
    Returns:
        nn.Sequential of bias-free Conv2d(1, 1, kernel, stride, dilation=d).
    """
    mods = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
            raise ValueError(f"field_stack: layer {i} must be (kernel, stride) or "
                             f"(kernel, stride, dilation), got {layer!r}")
        f, s, d = (tuple(layer) + (1,))[:3]
        for name, v in (("kernel", f), ("stride", s), ("dilation", d)):
            check_positive("field_stack", f"layer {i} {name}", v, integer=True)
        conv = nn.Conv2d(1, 1, f, stride=s, dilation=d, bias=False)
        nn.init.constant_(conv.weight, 1.0)
        mods.append(conv)
    return nn.Sequential(*mods)


def empirical_receptive_field(net, *, size=64, in_channels=1):
    """Measure the receptive field of the centre unit of a network's output.

    Back-propagates from the centre unit of the first output channel to a zero
    input: the input pixels with a non-zero gradient are those the unit depends
    on (exactly, for a stack with positive weights such as ``field_stack``; a
    lower bound where ReLUs or cancellations zero some paths).

    Args:
        net: a module mapping (1, in_channels, size, size) to (1, C, H, W).
        size: the input's height and width; it must exceed the field.
    Returns:
        width: the number of input rows the non-zero gradient spans.
        grad: (size, size) NumPy array, the gradient summed over input channels.
    """
    check_positive("empirical_receptive_field", "size", size, integer=True)
    p = next(net.parameters(), None)
    x = torch.zeros(1, in_channels, size, size, requires_grad=True,
                    device=p.device if p is not None else None)
    out = net(x)
    if out.ndim != 4:
        raise ValueError(f"empirical_receptive_field: expected a 4-D output "
                         f"(N, C, H, W), got shape {tuple(out.shape)}")
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    grad = x.grad[0].abs().sum(0).detach().cpu().numpy()
    rows = grad.sum(1).nonzero()[0]
    if len(rows) and (rows.min() == 0 or rows.max() == size - 1):
        raise ValueError(f"empirical_receptive_field: the field reaches the border "
                         f"of the {size}x{size} input; pass a larger size")
    width = int(rows.max() - rows.min() + 1) if len(rows) else 0
    return width, grad


def _prod(t):
    out = 1
    for v in t:
        out *= v
    return out


class CountMixin:
    """Adds ``num_params()`` to an nn.Module."""

    def num_params(self):
        return count_params(self)


# ------------------------------------------------------------------------ LeNet
class LeNet5(CountMixin, nn.Module):
    """LeNet-5 (LeCun et al. 1998): two conv + subsampling stages, three FC layers.

    On 32x32 inputs as in the paper; on 28x28 (MNIST) the first conv pads by 2 so
    the shapes (and the 61,706 parameters with full C3 connections) stay the same.
    ``act`` and ``pool`` default to the paper's tanh and average subsampling.
    """

    def __init__(self, num_classes=10, in_channels=1, input_size=32, act=nn.Tanh,
                 pool=nn.AvgPool2d):
        super().__init__()
        pad = (32 - input_size) // 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=pad), act(), pool(2),   # C1, S2
            nn.Conv2d(6, 16, 5), act(), pool(2))                         # C3, S4
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), act(),             # C5
            nn.Linear(120, 84), act(), nn.Linear(84, num_classes))       # F6, output

    def forward(self, x):
        return self.classifier(self.features(x))


# ---------------------------------------------------------------------- AlexNet
class AlexNet(CountMixin, nn.Module):
    """AlexNet (Krizhevsky et al. 2012): five convs, ReLU, max pooling, dropout FCs.

    ``widths`` and ``groups`` default to the paper: 96-256-384-384-256 filters, with
    conv2, conv4 and conv5 split in two groups (the two GPUs), ~61 M parameters.
    ``groups=1`` gives the single-tower variant; small widths give a lesson build.
    """

    def __init__(self, num_classes=1000, in_channels=3, widths=(96, 256, 384, 384, 256),
                 groups=2, hidden=4096, dropout=0.5, pool_size=6):
        super().__init__()
        c1, c2, c3, c4, c5 = widths
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c1, c2, 5, padding=2, groups=groups), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, 3, padding=1, groups=groups), nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, 3, padding=1, groups=groups), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2))
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(c5 * pool_size ** 2, hidden),
            nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True), nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))


# -------------------------------------------------------------------------- VGG
VGG_CONFIGS = {   # Simonyan & Zisserman 2015, Table 1 ("M" = 2x2 max pooling)
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512,
          "M", 512, 512, 512, 512, "M"],
}


class VGG(CountMixin, nn.Module):
    """VGG: stacks of 3x3 convolutions (padding 1) and 2x2 max pooling, then FCs.

    Args:
        cfg: a list of channel counts and "M" (pooling), or a key of VGG_CONFIGS
            ("D" is VGG-16, "E" VGG-19).
        hidden: the widths of the hidden FC layers ((4096, 4096) in the paper).
        pool_size: the features are average-pooled to this size before the FCs
            (7 for 224x224 inputs, as the paper's shapes).
    """

    def __init__(self, cfg="D", num_classes=1000, in_channels=3, hidden=(4096, 4096),
                 pool_size=7, batch_norm=False, dropout=0.5):
        super().__init__()
        cfg = VGG_CONFIGS[cfg] if isinstance(cfg, str) else list(cfg)
        layers, c = [], in_channels
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            layers.append(nn.Conv2d(c, v, 3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            c = v
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        fcs, d = [nn.Flatten()], c * pool_size ** 2
        for h in hidden:
            fcs += [nn.Linear(d, h), nn.ReLU(inplace=True), nn.Dropout(dropout)]
            d = h
        fcs.append(nn.Linear(d, num_classes))
        self.classifier = nn.Sequential(*fcs)

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))


# -------------------------------------------------------------------- Inception
def _conv_relu(cin, cout, k, **kw):
    return nn.Sequential(nn.Conv2d(cin, cout, k, **kw), nn.ReLU(inplace=True))


class InceptionBlock(CountMixin, nn.Module):
    """GoogLeNet's Inception module: four parallel branches concatenated by channel.

    1x1 conv (c1); 1x1 reduction (c3_reduce) then 3x3 (c3); 1x1 reduction
    (c5_reduce) then 5x5 (c5); 3x3 max pooling then 1x1 projection (pool_proj).
    The spatial size is kept; out_channels = c1 + c3 + c5 + pool_proj.
    """

    def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        super().__init__()
        self.out_channels = c1 + c3 + c5 + pool_proj
        self.branch1 = _conv_relu(in_channels, c1, 1)
        self.branch3 = nn.Sequential(_conv_relu(in_channels, c3_reduce, 1),
                                     _conv_relu(c3_reduce, c3, 3, padding=1))
        self.branch5 = nn.Sequential(_conv_relu(in_channels, c5_reduce, 1),
                                     _conv_relu(c5_reduce, c5, 5, padding=2))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                         _conv_relu(in_channels, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x),
                          self.branch_pool(x)], dim=1)


class GoogLeNet(CountMixin, nn.Module):
    """GoogLeNet (Szegedy et al. 2015, Table 1) without the auxiliary classifiers."""

    BLOCKS = [  # (in, c1, c3r, c3, c5r, c5, pool_proj); "M" = 3x3/2 max pooling
        (192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64), "M",
        (480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64),
        (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
        (528, 256, 160, 320, 32, 128, 128), "M",
        (832, 256, 160, 320, 32, 128, 128), (832, 384, 192, 384, 48, 128, 128)]

    def __init__(self, num_classes=1000, in_channels=3, dropout=0.4):
        super().__init__()
        stem = [_conv_relu(in_channels, 64, 7, stride=2, padding=3),
                nn.MaxPool2d(3, 2, padding=1), _conv_relu(64, 64, 1),
                _conv_relu(64, 192, 3, padding=1), nn.MaxPool2d(3, 2, padding=1)]
        blocks = [nn.MaxPool2d(3, 2, padding=1) if b == "M" else InceptionBlock(*b)
                  for b in self.BLOCKS]
        self.features = nn.Sequential(*stem, *blocks)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Dropout(dropout),
                                        nn.Linear(1024, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


# ----------------------------------------------------------------------- ResNet
class BasicBlock(CountMixin, nn.Module):
    """ResNet's basic block: out = relu(F(x) + shortcut(x)), F = conv-BN-ReLU-conv-BN.

    The shortcut is the identity, or a strided 1x1 conv + BN when the shape
    changes. ``residual=False`` drops the shortcut: the same layers as a plain net.
    """

    def __init__(self, in_channels, out_channels, stride=1, residual=True):
        super().__init__()
        self.residual = residual
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Identity()
        if residual and (stride != 1 or in_channels != out_channels):
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            out = out + self.shortcut(x)
        return torch.relu(out)


class ResNet(CountMixin, nn.Module):
    """A ResNet of basic blocks: a stem, four stages, global pooling, one FC.

    Args:
        blocks: basic blocks per stage ((2, 2, 2, 2) is ResNet-18).
        widths: channels per stage; stages after the first halve the size.
        stem: "imagenet" (7x7/2 conv + 3x3/2 max pooling) or "small" (one 3x3 conv,
            for 28x28 or 32x32 inputs).
        residual: False builds the same network without shortcuts (a plain net).
    """

    def __init__(self, blocks=(2, 2, 2, 2), widths=(64, 128, 256, 512),
                 num_classes=1000, in_channels=3, stem="imagenet", residual=True):
        super().__init__()
        c = widths[0]
        if stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, c, 7, 2, 3, bias=False), nn.BatchNorm2d(c),
                nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        elif stem == "small":
            self.stem = nn.Sequential(nn.Conv2d(in_channels, c, 3, 1, 1, bias=False),
                                      nn.BatchNorm2d(c), nn.ReLU(inplace=True))
        else:
            raise ValueError(f"ResNet: unknown stem {stem!r}; expected 'imagenet' "
                             f"or 'small'")
        stages = []
        for i, (n, w) in enumerate(zip(blocks, widths)):
            check_positive("ResNet", "blocks per stage", n, integer=True)
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                stages.append(BasicBlock(c, w, stride, residual))
                c = w
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(c, num_classes))

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


def resnet18(num_classes=1000, in_channels=3):
    """ResNet-18 of He et al. 2016 (Table 1): 11.7 M parameters, 1.8 G MACs."""
    return ResNet((2, 2, 2, 2), (64, 128, 256, 512), num_classes, in_channels)


# --------------------------------------------------------------------- DenseNet
class DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv (bn_size * growth) - BN-ReLU-3x3 conv (growth); the
    bottleneck is skipped when bn_size is None."""

    def __init__(self, in_channels, growth_rate, bn_size=4):
        super().__init__()
        layers = []
        c = in_channels
        if bn_size:
            layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.Conv2d(c, bn_size * growth_rate, 1, bias=False)]
            c = bn_size * growth_rate
        layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                   nn.Conv2d(c, growth_rate, 3, padding=1, bias=False)]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


class DenseBlock(CountMixin, nn.Module):
    """DenseNet's block: layer l sees the concatenation of the input and all
    earlier layers' outputs; out_channels = in_channels + num_layers * growth_rate."""

    def __init__(self, in_channels, growth_rate, num_layers, bn_size=4):
        super().__init__()
        self.out_channels = in_channels + num_layers * growth_rate
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size)
            for i in range(num_layers))

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)


class DenseNet(CountMixin, nn.Module):
    """DenseNet-BC (Huang et al. 2017): dense blocks joined by transitions that
    halve the channels (1x1 conv) and the size (2x2 average pooling)."""

    def __init__(self, block_config=(6, 12, 24, 16), growth_rate=32, init_channels=64,
                 bn_size=4, compression=0.5, num_classes=1000, in_channels=3):
        super().__init__()
        c = init_channels
        layers = [nn.Conv2d(in_channels, c, 7, 2, 3, bias=False), nn.BatchNorm2d(c),
                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        for i, n in enumerate(block_config):
            block = DenseBlock(c, growth_rate, n, bn_size)
            layers.append(block)
            c = block.out_channels
            if i < len(block_config) - 1:
                out = int(c * compression)
                layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                           nn.Conv2d(c, out, 1, bias=False), nn.AvgPool2d(2)]
                c = out
        layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                        nn.Linear(c, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def densenet121(num_classes=1000, in_channels=3):
    """DenseNet-121: blocks (6, 12, 24, 16), growth 32, about 8.0 M parameters."""
    return DenseNet((6, 12, 24, 16), 32, 64, 4, 0.5, num_classes, in_channels)
