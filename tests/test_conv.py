"""dlnotes.ref convolution and pooling: parity with torch, finite differences,
the loop version against the fast one, sizes, and clear errors on bad input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlnotes import ref
from dlnotes.check import check_grads, check_parity, max_abs_diff

# (x shape, weight shape, hyperparameters)
CONV_CASES = [
    ((1, 3, 7, 7), (4, 3, 3, 3), dict()),                               # N = 1, p = 0
    ((2, 3, 8, 9), (5, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 2, 9, 7), (3, 2, 3, 3), dict(dilation=2, padding=2)),
    ((2, 3, 7, 10), (4, 3, 2, 4), dict(stride=(1, 2), padding=(1, 0))),     # non-square
    ((2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),                # groups > 1
    ((2, 4, 7, 6), (4, 1, 3, 3), dict(groups=4, stride=2, padding=1)),      # depthwise
    ((1, 6, 9, 8), (6, 2, 3, 2), dict(groups=3, stride=(2, 1), dilation=(1, 2),
                                      padding=(2, 1))),
    ((3, 2, 5, 5), (2, 2, 1, 1), dict()),                                   # 1x1
]
IDS = [f"x{x}-w{w}-{hp}" for x, w, hp in CONV_CASES]


@pytest.mark.parametrize("xs,ws,hp", CONV_CASES, ids=IDS)
@pytest.mark.parametrize("forward,backward", [
    (ref.conv2d_forward, ref.conv2d_backward),
    (ref.conv2d_forward_naive, ref.conv2d_backward_naive)], ids=["fast", "naive"])
def test_conv2d_matches_torch(forward, backward, xs, ws, hp):
    check_parity(forward, backward, F.conv2d, shapes=[xs, ws, (ws[0],)], **hp)


@pytest.mark.parametrize("xs,ws,hp", CONV_CASES, ids=IDS)
def test_naive_conv2d_agrees_with_fast(xs, ws, hp):
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s) for s in (xs, ws, ws[0]))
    out, cache = ref.conv2d_forward(x, w, b, **hp)
    out_n, cache_n = ref.conv2d_forward_naive(x, w, b, **hp)
    dout = rng.standard_normal(out.shape)
    assert max_abs_diff(out, out_n) < 1e-12
    grads = ref.conv2d_backward(dout, cache)
    for g, gn in zip(grads, ref.conv2d_backward_naive(dout, cache_n)):
        assert max_abs_diff(g, gn) < 1e-12


@pytest.mark.parametrize("forward,backward", [
    (ref.conv2d_forward, ref.conv2d_backward),
    (ref.conv2d_forward_naive, ref.conv2d_backward_naive)], ids=["fast", "naive"])
def test_conv2d_finite_differences(forward, backward):
    check_grads(forward, backward, shapes=[(2, 2, 5, 4), (3, 2, 3, 2), (3,)],
                stride=2, padding=1)
    check_grads(forward, backward, shapes=[(1, 4, 6, 6), (4, 2, 2, 2), (4,)],
                groups=2, dilation=2)


def test_conv2d_without_bias():
    def fwd(x, weight):
        return ref.conv2d_forward(x, weight, None, padding=1)

    def bwd(dout, cache):
        dx, dweight, dbias = ref.conv2d_backward(dout, cache)
        assert dbias is None
        return dx, dweight

    check_parity(fwd, bwd, lambda x, w: F.conv2d(x, w, padding=1),
                 shapes=[(2, 3, 5, 5), (4, 3, 3, 3)])


@pytest.mark.parametrize("kind,hp", [
    ("max", dict(kernel_size=2)),
    ("max", dict(kernel_size=3, stride=2, padding=1)),
    ("max", dict(kernel_size=(3, 2), stride=(1, 2))),
    ("avg", dict(kernel_size=2)),
    ("avg", dict(kernel_size=3, stride=2, padding=1)),
    ("avg", dict(kernel_size=(2, 3), stride=1, padding=(1, 1))),
])
@pytest.mark.parametrize("xs", [(1, 1, 6, 6), (2, 3, 7, 9)])
def test_pooling_matches_torch(kind, hp, xs):
    fwd, bwd, fn = ((ref.maxpool2d_forward, ref.maxpool2d_backward, F.max_pool2d)
                    if kind == "max" else
                    (ref.avgpool2d_forward, ref.avgpool2d_backward, F.avg_pool2d))
    check_parity(fwd, bwd, fn, shapes=[xs], **hp)
    check_grads(fwd, bwd, shapes=[xs], **hp)


@pytest.mark.parametrize("xs,ws,hp", [
    ((1, 2, 3, 3), (2, 3, 3, 3), dict()),
    ((2, 3, 4, 5), (3, 2, 3, 4), dict(stride=2, padding=1, output_padding=1)),
    ((2, 2, 3, 4), (2, 4, 4, 4), dict(stride=2, padding=1)),
    ((1, 3, 4, 3), (3, 1, 2, 3), dict(stride=(3, 2), output_padding=(2, 0))),
])
def test_conv_transpose2d_matches_torch(xs, ws, hp):
    shapes = [xs, ws, (ws[1],)]
    check_parity(ref.conv_transpose2d_forward, ref.conv_transpose2d_backward,
                 F.conv_transpose2d, shapes=shapes, **hp)
    check_grads(ref.conv_transpose2d_forward, ref.conv_transpose2d_backward,
                shapes=shapes, **hp)


def test_pixel_shuffle_and_conv3d_match_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 12, 3, 4))
    expected = F.pixel_shuffle(torch.tensor(x), 2)
    assert max_abs_diff(ref.pixel_shuffle(x, 2), expected) == 0
    x, w, b = (rng.standard_normal(s) for s in [(2, 2, 5, 6, 7), (3, 2, 3, 3, 2), (3,)])
    out, _ = ref.conv3d_forward(x, w, b, stride=(1, 2, 1), padding=1)
    expected = F.conv3d(*map(torch.tensor, (x, w, b)), stride=(1, 2, 1), padding=1)
    assert max_abs_diff(out, expected) < 1e-12


def test_receptive_field_worked_example():
    # conv3/1, pool2/2, conv3/1, pool2/2, conv3/1, conv3/1, pool2/2: seed 004's example
    layers = [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)]
    assert ref.receptive_field(layers) == [1, 3, 4, 8, 10, 18, 26, 30]
    assert ref.receptive_field([(3, 1, 2)]) == [1, 5]          # f' = 3 + (2-1)(3-1)
    assert ref.receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)]) == [1, 3, 7, 15]


@pytest.mark.parametrize("w,f,p,s,d", [(32, 5, 0, 1, 1), (227, 11, 0, 4, 1),
                                       (7, 3, 1, 2, 1), (10, 3, 2, 1, 2),
                                       (8, 2, 0, 2, 1)])
def test_conv_output_size_matches_torch(w, f, p, s, d):
    conv = torch.nn.Conv2d(1, 1, f, stride=s, padding=p, dilation=d)
    expected = conv(torch.zeros(1, 1, w, w)).shape[-1]
    assert ref.conv_output_size(w, f, p, s, d) == expected


def _arrays(xs, ws):
    rng = np.random.default_rng(0)
    return rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])


@pytest.mark.parametrize("xs,ws,hp,match", [
    ((2, 3, 5, 5), (4, 2, 3, 3), {},
     r"x has 3 channels but weight expects 2.*"
     r"x shape \(2, 3, 5, 5\), weight shape \(4, 2, 3, 3\)"),
    ((2, 3, 4, 4), (4, 3, 7, 7), dict(padding=1), r"larger than the padded input \(6\)"
                                                 r".*x shape \(2, 3, 4, 4\)"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(dilation=3), r"extent 7 with dilation 3"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(stride=0), r"stride must be >= 1, got 0"),
    ((2, 4, 5, 5), (6, 2, 3, 3), dict(groups=3), r"groups=3 must divide.*"
                                                r"x shape \(2, 4, 5, 5\)"),
    ((2, 3, 5), (4, 3, 3, 3), {},
     r"x must be 4-D \(N, C, H, W\), got shape \(2, 3, 5\)"),
])
@pytest.mark.parametrize("forward", [ref.conv2d_forward, ref.conv2d_forward_naive])
def test_conv2d_bad_input_raises_naming_the_shapes(forward, xs, ws, hp, match):
    with pytest.raises(ValueError, match=f"{forward.__name__}: .*{match}"):
        forward(*_arrays(xs, ws), **hp)


def test_other_bad_input():
    x = np.zeros((1, 2, 4, 4))
    with pytest.raises(ValueError, match="maxpool2d_forward: the kernel"):
        ref.maxpool2d_forward(x, kernel_size=5)
    with pytest.raises(ValueError, match="avgpool2d_forward: stride must be >= 1"):
        ref.avgpool2d_forward(x, kernel_size=2, stride=0)
    with pytest.raises(TypeError, match="conv2d_forward: padding must be an int or 2"):
        ref.conv2d_forward(x, np.zeros((1, 2, 3, 3)), None, padding=(1, 1, 1))
    with pytest.raises(ValueError, match="conv_transpose2d_forward: output_padding"):
        ref.conv_transpose2d_forward(x, np.zeros((2, 1, 3, 3)), None, stride=2,
                                     output_padding=2)
    with pytest.raises(ValueError, match=r"pixel_shuffle: .*\(1, 2, 4, 4\)"):
        ref.pixel_shuffle(x, 2)
    with pytest.raises(ValueError, match="conv_output_size: the kernel"):
        ref.conv_output_size(4, 7, 1, 1)
    with pytest.raises(ValueError, match="receptive_field: layer 1"):
        ref.receptive_field([(3, 1), (3,)])
