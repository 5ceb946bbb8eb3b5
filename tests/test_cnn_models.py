"""dlnotes.pt CNN builds: parameter counts equal hand computations (no
torchvision), output shapes, and the MAC counter against the formula."""
import pytest
import torch
from torch import nn

from dlnotes import pt


def conv(cin, cout, k, bias=True, groups=1):
    return cout * (cin // groups) * k * k + (cout if bias else 0)


def fc(din, dout):
    return din * dout + dout


def bn(c):
    return 2 * c


def test_lenet5_params_and_shape():
    hand = conv(1, 6, 5) + conv(6, 16, 5) + fc(400, 120) + fc(120, 84) + fc(84, 10)
    model = pt.LeNet5()
    assert model.num_params() == pt.count_params(model) == hand == 61_706
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    assert pt.LeNet5(input_size=28)(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_alexnet_params():
    hand = (conv(3, 96, 11) + conv(96, 256, 5, groups=2) + conv(256, 384, 3)
            + conv(384, 384, 3, groups=2) + conv(384, 256, 3, groups=2)
            + fc(256 * 36, 4096) + fc(4096, 4096) + fc(4096, 1000))
    assert pt.AlexNet().num_params() == hand == 60_965_224
    small = pt.AlexNet(10, 1, widths=(8, 8, 8, 8, 8), hidden=16, pool_size=1)
    assert small(torch.zeros(1, 1, 64, 64)).shape == (1, 10)


def test_vgg16_params():
    chans = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256),
             (256, 256), (256, 512)] + [(512, 512)] * 5
    hand = sum(conv(a, b, 3) for a, b in chans) + fc(25088, 4096) + fc(4096, 4096) \
        + fc(4096, 1000)
    assert pt.VGG("D").num_params() == hand == 138_357_544
    small = pt.VGG([4, "M", 8, "M"], num_classes=10, in_channels=1, hidden=(16,),
                   pool_size=1)
    assert small.num_params() == conv(1, 4, 3) + conv(4, 8, 3) + fc(8, 16) + fc(16, 10)
    assert small(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_inception_block_params_and_shape():
    block = pt.InceptionBlock(192, 64, 96, 128, 16, 32, 32)          # GoogLeNet's 3a
    hand = (conv(192, 64, 1) + conv(192, 96, 1) + conv(96, 128, 3) + conv(192, 16, 1)
            + conv(16, 32, 5) + conv(192, 32, 1))
    assert block.num_params() == hand
    assert block(torch.zeros(1, 192, 28, 28)).shape == (1, 256, 28, 28)
    assert pt.GoogLeNet()(torch.zeros(1, 3, 224, 224)).shape == (1, 1000)


def test_resnet_block_and_resnet18_params():
    same = pt.BasicBlock(64, 64)
    assert same.num_params() == 2 * (conv(64, 64, 3, bias=False) + bn(64))
    down = pt.BasicBlock(64, 128, stride=2)
    assert down.num_params() == (conv(64, 128, 3, False) + conv(128, 128, 3, False)
                                 + conv(64, 128, 1, False) + 3 * bn(128))
    assert down(torch.zeros(1, 64, 8, 8)).shape == (1, 128, 4, 4)
    plain = pt.BasicBlock(64, 128, stride=2, residual=False)
    assert plain.num_params() == down.num_params() - conv(64, 128, 1, False) - bn(128)
    hand = conv(3, 64, 7, False) + bn(64) + 2 * same.num_params()
    for c in (128, 256, 512):
        hand += pt.BasicBlock(c // 2, c, 2).num_params()
        hand += pt.BasicBlock(c, c).num_params()
    hand += fc(512, 1000)
    model = pt.resnet18()
    assert model.num_params() == hand == 11_689_512
    assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)


def test_dense_block_and_densenet121_params():
    block = pt.DenseBlock(16, growth_rate=8, num_layers=3, bn_size=None)
    hand = sum(bn(16 + 8 * i) + conv(16 + 8 * i, 8, 3, False) for i in range(3))
    assert block.num_params() == hand
    assert block(torch.zeros(2, 16, 5, 5)).shape == (2, 16 + 3 * 8, 5, 5)
    assert pt.densenet121().num_params() == 7_978_856


def test_count_macs_matches_the_formula():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(8, 8, 3, groups=4), nn.Flatten(),
                          nn.Linear(8 * 6 * 6, 10))
    total, layers = pt.count_macs(model, (2, 3, 8, 8), per_layer=True)
    expected = [2 * 8 * 8 * 8 * 3 * 9, 2 * 8 * 6 * 6 * 2 * 9, 2 * 10 * 288]
    assert [m for _, m in layers] == expected and total == sum(expected)
    up = nn.ConvTranspose2d(4, 2, 3, stride=2)
    assert pt.count_macs(up, (1, 4, 5, 5)) == 4 * 5 * 5 * 2 * 9


def test_resnet_rejects_unknown_stem():
    with pytest.raises(ValueError, match="ResNet: unknown stem 'big'"):
        pt.ResNet(stem="big")


@pytest.mark.parametrize("layers", [
    [(3, 1)], [(3, 1), (2, 2), (3, 1)], [(5, 2), (3, 1, 2), (2, 2), (3, 1, 4)],
    [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)], [(1, 1), (7, 3)]])
def test_empirical_receptive_field_matches_the_formula(layers):
    from dlnotes import ref
    width, grad = pt.empirical_receptive_field(pt.field_stack(layers), size=96)
    assert width == ref.receptive_field(layers)[-1]
    cols = grad.sum(0).nonzero()[0]
    assert cols.max() - cols.min() + 1 == width         # square field


def test_empirical_receptive_field_sees_the_holes_of_equal_dilations():
    _, grad = pt.empirical_receptive_field(pt.field_stack([(3, 1, 2), (3, 1, 2)]))
    rows = grad.sum(1).nonzero()[0]
    assert len(rows) == 5 and rows.max() - rows.min() + 1 == 9   # every other row


def test_field_tools_reject_bad_input():
    with pytest.raises(ValueError, match="field_stack: layer 0"):
        pt.field_stack([3])
    with pytest.raises(ValueError, match="field_stack: layer 1 stride"):
        pt.field_stack([(3, 1), (3, 0)])
    with pytest.raises(ValueError, match="empirical_receptive_field: the field"):
        pt.empirical_receptive_field(pt.field_stack([(9, 1)] * 2), size=17)
    with pytest.raises(ValueError, match="empirical_receptive_field: expected a 4-D"):
        pt.empirical_receptive_field(nn.Sequential(nn.Flatten()))


def test_activation_counts_of_a_small_net():
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
    counts = pt.activation_counts(net, (2, 1, 8, 8))
    assert counts == [("0", 2 * 4 * 8 * 8), ("1", 2 * 4 * 8 * 8), ("2", 2 * 4 * 4 * 4),
                      ("3", 2 * 64), ("4", 2 * 10)]
    with torch.device("meta"):
        vgg = pt.VGG("D")
    first = pt.activation_counts(vgg, (1, 3, 224, 224))[0]
    assert first == ("features.0", 64 * 224 * 224)


def test_confusion_matrix_plot_counts_pairs():
    import matplotlib
    matplotlib.use("Agg")
    import numpy as np
    from dlnotes import plot
    ax = plot.confusion_matrix(np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 1]))
    assert ax.confusion.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 2]]
    assert ax.get_xlabel() == "predicted class" and ax.get_title()
    with pytest.raises(ValueError, match="confusion_matrix: y_true and y_pred"):
        plot.confusion_matrix(np.array([0, 1]), np.array([0]))
    with pytest.raises(TypeError, match="confusion_matrix: y_pred must hold integer"):
        plot.confusion_matrix(np.array([0, 1]), np.array([0.0, 1.0]))
