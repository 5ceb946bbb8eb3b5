"""Lightweight networks: channel shuffle and ReLU6 against torch and finite
differences, the cost formulas against count_macs and FlopCounterMode, the
full-size builds against the papers' tables, the small builds training one step,
latency measurement, and clear errors on bad input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dlnotes import pt, ref
from dlnotes.check import check_grads, check_parity

SHUFFLE_CASES = [((1, 6, 2, 3), 3), ((2, 8, 3, 3), 2), ((2, 8, 1, 1), 4),
                 ((3, 6, 4), 2), ((2, 5, 2, 2), 1), ((1, 12, 2, 2), 12)]


@pytest.mark.parametrize("shape,groups", SHUFFLE_CASES)
def test_channel_shuffle_matches_torch(shape, groups):
    check_parity(ref.channel_shuffle, ref.channel_shuffle_backward,
                 lambda x, groups: F.channel_shuffle(x, groups)
                 if x.ndim == 4 else nn.ChannelShuffle(groups)(x),
                 shapes=[shape], groups=groups)


@pytest.mark.parametrize("shape,groups", SHUFFLE_CASES)
def test_channel_shuffle_backward_by_finite_differences(shape, groups):
    check_grads(ref.channel_shuffle, ref.channel_shuffle_backward, shapes=[shape],
                groups=groups)


def test_channel_shuffle_interleaves_and_its_inverse_is_c_over_g_groups():
    x = np.arange(6.0).reshape(1, 6, 1, 1)
    out, g = ref.channel_shuffle(x, 3)
    assert out.ravel().tolist() == [0, 2, 4, 1, 3, 5] and g == 3
    assert np.array_equal(ref.channel_shuffle_backward(out, 3), x)
    assert np.array_equal(ref.channel_shuffle(out, 2)[0], x)      # C / g = 2 groups


def test_pt_channel_shuffle_matches_ref():
    x = np.random.default_rng(0).standard_normal((2, 12, 3, 3))
    got = pt.ChannelShuffle(4)(torch.tensor(x)).numpy()
    assert np.array_equal(got, ref.channel_shuffle(x, 4)[0])


def test_relu6_matches_torch_and_finite_differences():
    check_parity(ref.relu6_forward, ref.relu6_backward, F.relu6, shapes=[(3, 4, 5)])
    x = np.random.default_rng(1).standard_normal((4, 6)) * 5
    x = x[np.abs(x) > 0.01]
    x = x[np.abs(x - 6) > 0.01]                 # finite differences away from kinks
    check_grads(ref.relu6_forward, ref.relu6_backward, x * 1.0)


def test_relu6_gradient_at_the_kinks_is_zero_as_torch():
    x = np.array([-1.0, 0.0, 3.0, 6.0, 7.0])
    t = torch.tensor(x, requires_grad=True)
    F.relu6(t).sum().backward()
    out, cache = ref.relu6_forward(x)
    assert out.tolist() == [0, 0, 3, 6, 6]
    assert np.array_equal(ref.relu6_backward(np.ones(5), cache), t.grad.numpy())


# (h, w, c_in, c_out, k, groups, stride)
COST_CASES = [(8, 8, 4, 6, 3, 1, 1), (9, 7, 6, 6, 3, 3, 1), (8, 8, 8, 8, 3, 8, 1),
              (9, 9, 8, 8, 3, 8, 2), (7, 7, 6, 10, 1, 1, 1), (10, 6, 6, 12, 1, 3, 2),
              (5, 5, 4, 8, 5, 2, 1), (1, 1, 3, 4, 1, 1, 1)]


@pytest.mark.parametrize("h,w,c_in,c_out,k,groups,stride", COST_CASES)
def test_conv_cost_matches_count_macs_and_flop_counter(h, w, c_in, c_out, k, groups,
                                                       stride):
    for bias in (False, True):
        conv = nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=bias)
        params, macs = ref.conv_cost(h, w, c_in, c_out, k, groups=groups, stride=stride,
                                     bias=bias)
        assert params == pt.count_params(conv)
        assert macs == pt.count_macs(conv, (1, c_in, h, w))
        with FlopCounterMode(display=False) as counter:
            conv(torch.zeros(1, c_in, h, w))
        assert counter.get_total_flops() == 2 * macs        # 2 FLOPs per MAC


def test_conv_cost_formulas():
    h = w = 14
    n, m, k = 32, 64, 3
    std = ref.conv_cost(h, w, n, m, k)[1]
    assert std == h * w * n * k * k * m
    assert ref.conv_cost(h, w, n, m, k, groups=4)[1] * 4 == std
    dw = ref.conv_cost(h, w, n, n, k, groups=n)[1]
    pw = ref.conv_cost(h, w, n, m, 1)[1]
    assert dw == h * w * k * k * n and pw == h * w * n * m
    assert (dw + pw) * m * k * k == std * (m + k * k)      # ratio 1/M + 1/K^2


def test_memory_access_cost_formula_and_guidelines():
    assert ref.memory_access_cost(4, 5, 6, 8) == 20 * 14 + 48
    assert ref.memory_access_cost(4, 5, 6, 8, groups=2) == 20 * 14 + 24
    # G1: at fixed FLOPs (c_in c_out = 64^2) equal widths move the fewest values
    costs = [ref.memory_access_cost(28, 28, 64 // r, 64 * r) for r in (1, 2, 4, 8)]
    assert costs == sorted(costs) and len(set(costs)) == 4
    # G2: at fixed FLOPs (c^2 / g constant) more groups move more values
    costs = [ref.memory_access_cost(28, 28, 64 * r, 64 * r, groups=r * r)
             for r in (1, 2, 4)]
    assert costs == sorted(costs) and len(set(costs)) == 3


def test_memory_access_cost_of_a_1x1_conv_matches_its_tensors():
    conv = nn.Conv2d(12, 18, 1, groups=3, bias=False)
    x = torch.zeros(1, 12, 5, 6)
    moved = x.numel() + conv(x).numel() + conv.weight.numel()
    assert ref.memory_access_cost(5, 6, 12, 18, groups=3) == moved


def _meta(build, *args, **kw):
    """A full-size build on the meta device: shapes only, so counting is free."""
    with torch.device("meta"):
        return build(*args, **kw)


def _bn(c):
    return 2 * c


def _conv(c_in, c_out, k, groups=1, bias=False):
    return ref.conv_cost(8, 8, c_in, c_out, k, groups=groups, bias=bias)[0]


def test_mobilenet_v1_matches_the_paper():
    blocks = [(32, 64)] + [(64, 128), (128, 128), (128, 256), (256, 256), (256, 512)] \
        + [(512, 512)] * 5 + [(512, 1024), (1024, 1024)]
    hand = _conv(3, 32, 3) + _bn(32) + 1024 * 1000 + 1000
    hand += sum(_conv(c, c, 3, c) + _bn(c) + _conv(c, o, 1) + _bn(o) for c, o in blocks)
    net = _meta(pt.MobileNetV1)
    assert net.num_params() == hand == 4_231_976
    assert abs(hand / 4.2e6 - 1) < 0.01
    assert abs(pt.count_macs(net, (1, 3, 224, 224)) / 569e6 - 1) < 0.01
    # Table 6: width multiplier 0.5 -> 149 M MACs, 1.3 M parameters
    half = _meta(pt.MobileNetV1, 0.5)
    assert abs(pt.count_macs(half, (1, 3, 224, 224)) / 149e6 - 1) < 0.01
    assert abs(half.num_params() / 1.3e6 - 1) < 0.03


def test_mobilenet_v2_matches_the_paper():
    rows = [(1, 16, 1), (6, 24, 2), (6, 32, 3), (6, 64, 4), (6, 96, 3), (6, 160, 3),
            (6, 320, 1)]
    weights, bn, c = _conv(3, 32, 3), _bn(32), 32
    for t, out, n in rows:
        for _ in range(n):
            h = c * t
            if t != 1:
                weights, bn = weights + _conv(c, h, 1), bn + _bn(h)
            weights += _conv(h, h, 3, h) + _conv(h, out, 1)
            bn += _bn(h) + _bn(out)
            c = out
    weights += _conv(320, 1280, 1) + 1280 * 1000 + 1000
    bn += _bn(1280)
    net = _meta(pt.MobileNetV2)
    assert net.num_params() == weights + bn == 3_504_872        # torchvision's count
    # the paper's 3.4 M is the reference code's 3.47 M: conv and FC weights, no BN
    assert weights == 3_470_760 and abs(weights / 3.47e6 - 1) < 0.01
    assert abs(pt.count_macs(net, (1, 3, 224, 224)) / 300e6 - 1) < 0.01


def _shufflenet_v1_hand(g, widths, repeats=(4, 8, 4), stem=24, classes=1000):
    """Parameters from ShuffleNet V1's Table 1 and Fig. 2: 1x1 group conv to a
    quarter of the output width (not grouped in the very first unit), 3x3
    depthwise, 1x1 group conv (to out - in channels when the unit halves the size
    and concatenates the pooled input), each with BN; then the FC layer."""
    total, c = _conv(3, stem, 3) + _bn(stem), stem
    for i, (w, n) in enumerate(zip(widths, repeats)):
        for j in range(n):
            mid, branch = w // 4, (w - c if j == 0 else w)
            g1 = 1 if i == j == 0 else g
            total += (_conv(c, mid, 1, g1) + _bn(mid) + _conv(mid, mid, 3, mid)
                      + _bn(mid) + _conv(mid, branch, 1, g) + _bn(branch))
            c = w
    return total + c * classes + classes


def test_shufflenet_v1_matches_the_paper():
    net = _meta(pt.ShuffleNetV1, groups=3)
    assert net.num_params() == _shufflenet_v1_hand(3, (240, 480, 960)) == 1_865_728
    assert round(net.num_params() / 1e6, 1) == 1.9
    for g in (1, 8):
        assert (_meta(pt.ShuffleNetV1, groups=g).num_params()
                == _shufflenet_v1_hand(g, pt.ShuffleNetV1.WIDTHS[g]))
    assert abs(pt.count_macs(net, (1, 3, 224, 224)) / 138e6 - 1) < 0.01
    # Table 1: g = 1 and g = 8 keep the complexity at ~140 M MACs by widening
    for g, paper in [(1, 143e6), (8, 140e6)]:
        macs = pt.count_macs(_meta(pt.ShuffleNetV1, groups=g), (1, 3, 224, 224))
        assert abs(macs / paper - 1) < 0.015


def test_shufflenet_v2_matches_the_paper():
    net = _meta(pt.ShuffleNetV2)
    # Table 5, 1x: conv1 24, stages of 116, 232, 464 (4, 8, 4 units), conv5 1024
    hand, c = _conv(3, 24, 3) + _bn(24), 24
    for w, n in [(116, 4), (232, 8), (464, 4)]:
        h = w // 2
        hand += (_conv(c, c, 3, c) + _bn(c) + _conv(c, h, 1) + _bn(h)      # branch 1
                 + _conv(c, h, 1) + _bn(h) + _conv(h, h, 3, h) + _bn(h)
                 + _conv(h, h, 1) + _bn(h))                                # branch 2
        hand += (n - 1) * (2 * (_conv(h, h, 1) + _bn(h)) + _conv(h, h, 3, h) + _bn(h))
        c = w
    hand += _conv(464, 1024, 1) + _bn(1024) + 1024 * 1000 + 1000
    assert net.num_params() == hand == 2_278_604  # torchvision's shufflenet_v2_x1_0
    assert abs(net.num_params() / 2.3e6 - 1) < 0.01
    assert abs(pt.count_macs(net, (1, 3, 224, 224)) / 146e6 - 1) < 0.01
    unit = pt.ShuffleUnitV2(116, 116, 1)
    assert pt.count_params(unit) == (_conv(58, 58, 1) + _conv(58, 58, 3, 58)
                                     + _conv(58, 58, 1) + 3 * _bn(58))


def test_squeezenet_matches_the_paper():
    fire = pt.Fire(96, 16, 64, 64)
    assert fire.num_params() == (_conv(96, 16, 1, bias=True)
                                 + _conv(16, 64, 1, bias=True)
                                 + _conv(16, 64, 3, bias=True))
    v10, v11 = _meta(pt.SqueezeNet, "1_0"), _meta(pt.SqueezeNet, "1_1")
    # Table 1: conv1 96 7x7, fire2-9 (s1, e1 = e3) as listed, conv10 1x1 to 1000
    hand, c = _conv(3, 96, 7, bias=True), 96
    for s1, e in [(16, 64), (16, 64), (32, 128), (32, 128), (48, 192), (48, 192),
                  (64, 256), (64, 256)]:
        hand += (_conv(c, s1, 1, bias=True) + _conv(s1, e, 1, bias=True)
                 + _conv(s1, e, 3, bias=True))
        c = 2 * e
    hand += _conv(512, 1000, 1, bias=True)
    assert v10.num_params() == hand == 1_248_424
    assert abs(v10.num_params() / 1.25e6 - 1) < 0.01
    ratio = pt.count_macs(v10, (1, 3, 224, 224)) / pt.count_macs(v11, (1, 3, 224, 224))
    assert 2.3 < ratio < 2.5
    alexnet = _meta(pt.AlexNet)
    assert alexnet.num_params() > 48 * v10.num_params()
    assert pt.count_macs(v10, (1, 3, 224, 224)) > pt.count_macs(alexnet,
                                                                (1, 3, 224, 224))


SMALL = [lambda: pt.MobileNetV1(num_classes=10, in_channels=1, small=True),
         lambda: pt.MobileNetV2(num_classes=10, in_channels=1, small=True),
         lambda: pt.ShuffleNetV1(num_classes=10, in_channels=1, small=True),
         lambda: pt.ShuffleNetV2(num_classes=10, in_channels=1, small=True),
         lambda: pt.SqueezeNet(num_classes=10, in_channels=1, small=True)]


@pytest.mark.parametrize("build", SMALL, ids=["mbv1", "mbv2", "snv1", "snv2", "sq"])
def test_small_variants_train_one_step(build):
    torch.manual_seed(0)
    net = build()
    x, y = torch.randn(8, 1, 28, 28), torch.arange(8) % 10
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    before = [p.detach().clone() for p in net.parameters()]
    loss0 = F.cross_entropy(net(x), y)
    opt.zero_grad()
    loss0.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all()
               for p in net.parameters())
    opt.step()
    assert any(not torch.equal(a, p) for a, p in zip(before, net.parameters()))
    assert net(x).shape == (8, 10)
    assert 0 < pt.count_macs(net, (1, 1, 28, 28)) < 3.9e6     # lighter than ch04's CNN
    assert 0 < net.num_params() < 50_282


def test_inverted_residual_has_a_linear_bottleneck_and_a_shortcut():
    block = pt.InvertedResidual(8, 8, 1, 6)
    assert block.use_residual and not pt.InvertedResidual(8, 16, 1, 6).use_residual
    last = block.conv[-1]
    assert len(last) == 2 and isinstance(last[1], nn.BatchNorm2d)   # no activation
    assert sum(isinstance(m, nn.ReLU6) for m in block.modules()) == 2


def test_measure_latency():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    net.train()
    lat = pt.measure_latency(net, (1, 1, 16, 16), warmup=1, repeats=5)
    assert len(lat.times) == 5 and lat.median > 0 and lat.spread >= 0
    assert min(lat.times) <= lat.median <= max(lat.times)
    assert net.training                           # mode restored


def test_bad_input_is_rejected_clearly():
    x = np.zeros((1, 6, 2, 2))
    with pytest.raises(ValueError, match="channel_shuffle: groups must divide the 6"):
        ref.channel_shuffle(x, 4)
    with pytest.raises(ValueError, match="channel_shuffle: x must be"):
        ref.channel_shuffle(np.zeros(6), 2)
    with pytest.raises(ValueError, match="conv_cost: groups must divide the 6"):
        ref.conv_cost(8, 8, 6, 8, 3, groups=4)
    with pytest.raises(ValueError, match="conv_cost: groups must divide the 9 output"):
        ref.conv_cost(8, 8, 6, 9, 3, groups=2)
    with pytest.raises(ValueError, match="memory_access_cost: h must be"):
        ref.memory_access_cost(0, 8, 6, 8)
    with pytest.raises(TypeError, match="conv_cost: k must be an integer"):
        ref.conv_cost(8, 8, 6, 8, 3.0)
    with pytest.raises(TypeError, match="relu6_forward: x must have a floating"):
        ref.relu6_forward(np.arange(3))
    with pytest.raises(ValueError, match="MobileNetV1: width_mult must be in"):
        pt.MobileNetV1(width_mult=-0.5)
    with pytest.raises(ValueError, match="MobileNetV2: width_mult must be in"):
        pt.MobileNetV2(width_mult=0)
    with pytest.raises(ValueError, match="ShuffleNetV2: width_mult must be in"):
        pt.ShuffleNetV2(width_mult=-1.0)
    with pytest.raises(ValueError, match="SqueezeNet: unknown version '1_2'"):
        pt.SqueezeNet("1_2")
    with pytest.raises(ValueError, match="ShuffleNetV1: unknown groups 5"):
        pt.ShuffleNetV1(groups=5)
    with pytest.raises(ValueError, match="ChannelShuffle: groups=4 must divide"):
        pt.ChannelShuffle(4)(torch.zeros(1, 6, 2, 2))
    with pytest.raises(ValueError, match="ShuffleUnitV1: groups=3 must divide"):
        pt.ShuffleUnitV1(24, 64, 3, 1)
    with pytest.raises(ValueError, match="measure_latency: repeats must be in"):
        pt.measure_latency(nn.ReLU(), (1, 2), repeats=0)
