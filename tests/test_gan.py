"""GANs: the NumPy losses against torch and finite differences, the penalty, metrics."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlnotes import pt, ref
from dlnotes.check import check_grads, check_parity
from dlnotes.train import TrainingDiverged

KINDS = ref.GAN_KINDS


def _torch_d(kind):
    """An independent torch formulation of each discriminator loss."""
    def fn(r, f, kind=kind):
        if kind in ("saturating", "non_saturating"):
            return (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                    + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))
        if kind == "least_squares":
            return (F.mse_loss(r, torch.ones_like(r)) + F.mse_loss(f, torch.zeros_like(f))) / 2
        if kind == "hinge":
            return F.relu(1 - r).mean() + F.relu(1 + f).mean()
        return f.mean() - r.mean()
    return fn


def _torch_g(kind):
    def fn(f, kind=kind):
        if kind == "saturating":                    # mean log(1 - sigmoid(f))
            return -F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
        if kind == "non_saturating":
            return F.binary_cross_entropy_with_logits(f, torch.ones_like(f))
        if kind == "least_squares":
            return F.mse_loss(f, torch.ones_like(f)) / 2
        return -f.mean()
    return fn


SHAPES = [((1,), (1,)), ((7,), (5,)), ((4, 1), (6, 1)), ((3, 1, 2, 2), (2, 1, 2, 2))]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shapes", SHAPES)
def test_d_loss_matches_torch_and_finite_differences(kind, shapes):
    hp = dict(kind=kind)
    check_parity(ref.gan_d_loss_forward, ref.gan_d_loss_backward,
                 lambda r, f, kind: _torch_d(kind)(r, f),
                 shapes=list(shapes), wrt=[0, 1], **hp)
    check_grads(ref.gan_d_loss_forward, ref.gan_d_loss_backward, shapes=list(shapes),
                wrt=[0, 1], **hp)
    # the package's torch losses agree with the independent formulation
    r, f = (torch.randn(s, dtype=torch.float64) for s in shapes)
    assert torch.allclose(pt.d_loss(r, f, kind=kind), _torch_d(kind)(r, f))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", [(1,), (9,), (4, 1), (2, 1, 3, 3)])
def test_g_loss_matches_torch_and_finite_differences(kind, shape):
    check_parity(ref.gan_g_loss_forward, ref.gan_g_loss_backward,
                 lambda f, kind: _torch_g(kind)(f),
                 shapes=[shape], kind=kind)
    check_grads(ref.gan_g_loss_forward, ref.gan_g_loss_backward, shapes=[shape],
                kind=kind)
    f = torch.randn(shape, dtype=torch.float64)
    assert torch.allclose(pt.g_loss(f, kind=kind), _torch_g(kind)(f))


def test_losses_are_finite_for_huge_logits():
    big = np.array([-800.0, 800.0])
    for kind in KINDS:
        loss, cache = ref.gan_d_loss_forward(big, big, kind=kind)
        assert np.isfinite(loss) and all(np.isfinite(g).all()
                                         for g in ref.gan_d_loss_backward(1.0, cache))
        loss, cache = ref.gan_g_loss_forward(big, kind=kind)
        dfake = ref.gan_g_loss_backward(1.0, cache)
        assert np.isfinite(loss) and np.isfinite(dfake).all()


def test_loss_backwards_take_dout_then_cache():
    r, f = np.array([0.3, -1.2]), np.array([0.7])
    _, cd = ref.gan_d_loss_forward(r, f, kind="hinge")
    _, cg = ref.gan_g_loss_forward(f, kind="least_squares")
    dr, df = ref.gan_d_loss_backward(1.0, cd)
    dr3, df3 = ref.gan_d_loss_backward(3.0, cd)                 # scales with dout
    np.testing.assert_allclose(dr3, 3 * dr)
    np.testing.assert_allclose(df3, 3 * df)
    np.testing.assert_allclose(ref.gan_g_loss_backward(2.0, cg),
                               2 * ref.gan_g_loss_backward(1.0, cg))
    for fn, cache in ((ref.gan_d_loss_backward, cd), (ref.gan_g_loss_backward, cg)):
        name = fn.__name__
        with pytest.raises(TypeError, match=name + r": .*dout, cache"):
            fn(cache)                                            # the old order
        with pytest.raises(TypeError, match=name + r": .*dout, cache"):
            fn(cache, 1.0)


def test_saturating_gradient_vanishes_where_non_saturating_does_not():
    f = np.array([-10.0])                            # D(G(z)) = sigmoid(-10) ~ 4.5e-5
    _, c_sat = ref.gan_g_loss_forward(f, kind="saturating")
    _, c_ns = ref.gan_g_loss_forward(f, kind="non_saturating")
    d = 1 / (1 + np.exp(10.0))
    np.testing.assert_allclose(ref.gan_g_loss_backward(1.0, c_sat), [-d])
    np.testing.assert_allclose(ref.gan_g_loss_backward(1.0, c_ns), [-(1 - d)])


def test_optimal_discriminator_and_jensen_shannon_closed_forms():
    p = np.array([0.5, 0.5, 0.0, 0.0])
    q = np.array([0.0, 0.0, 0.5, 0.5])
    np.testing.assert_array_equal(ref.optimal_discriminator(p, q), [1, 1, 0, 0])
    np.testing.assert_array_equal(ref.optimal_discriminator(p, p), [0.5] * 4)
    assert ref.optimal_discriminator(np.zeros(2), np.zeros(2)).tolist() == [0.5, 0.5]
    assert math.isclose(ref.jensen_shannon(p, q), math.log(2))
    assert ref.jensen_shannon(p, p) == 0.0
    # two Bernoullis: JSD = H(m) - (H(p) + H(q)) / 2
    a, b = 0.2, 0.7
    H = lambda t: -t * math.log(t) - (1 - t) * math.log(1 - t)      # noqa: E731
    want = H((a + b) / 2) - (H(a) + H(b)) / 2
    assert math.isclose(ref.jensen_shannon(np.array([a, 1 - a]), np.array([b, 1 - b])),
                        want, rel_tol=1e-12)
    # normalisation: densities on a grid with any spacing give the same value
    assert math.isclose(ref.jensen_shannon(3 * p + q, p + q),
                        ref.jensen_shannon((3 * p + q) / 4, (p + q) / 2))


def test_value_at_optimal_d_is_minus_log4_plus_2_jsd():
    x = np.linspace(-6, 6, 2001)
    p = np.exp(-0.5 * (x - 1) ** 2)
    q = np.exp(-0.5 * ((x + 1) / 1.5) ** 2)
    p, q = p / p.sum(), q / q.sum()
    d = ref.optimal_discriminator(p, q)
    v = np.sum(p * np.log(d)) + np.sum(q * np.log(1 - d))
    assert math.isclose(v, -math.log(4) + 2 * ref.jensen_shannon(p, q), rel_tol=1e-10)


def test_gradient_penalty_on_a_linear_critic():
    torch.manual_seed(0)
    w = torch.tensor([3.0, 4.0], dtype=torch.float64)          # ||grad|| = 5 everywhere
    critic = lambda x: x @ w                                   # noqa: E731
    real, fake = torch.randn(6, 2, dtype=torch.float64), torch.randn(6, 2,
                                                                       dtype=torch.float64)
    assert math.isclose(pt.gradient_penalty(critic, real, fake).item(), (5 - 1) ** 2)


def test_gradient_penalty_norm_is_per_sample_on_4d_inputs():
    torch.manual_seed(0)
    w = torch.randn(1, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    critic = lambda x: (x * w).flatten(1).sum(1)              # noqa: E731
    real = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    fake = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    gp = pt.gradient_penalty(critic, real, fake)
    want = (w.detach().norm() - 1) ** 2                        # one norm over C, H, W
    assert torch.allclose(gp, want)
    wrong = ((w.detach().norm(dim=1) - 1) ** 2).mean()        # the per-column bug
    assert not torch.allclose(gp, wrong)
    gp.backward()                                             # trains the critic
    assert w.grad is not None and w.grad.abs().sum() > 0


def test_gradient_penalty_interpolates_with_one_coefficient_per_sample():
    torch.manual_seed(0)
    seen = []

    def critic(x):
        seen.append(x.detach().clone())
        return x.flatten(1).sum(1)
    real, fake = torch.ones(3, 2, 2), torch.zeros(3, 2, 2)
    pt.gradient_penalty(critic, real, fake)
    x_hat = seen[0]
    for row in x_hat:                                          # constant inside a sample
        assert torch.all(row == row.flatten()[0])
    assert len(torch.unique(x_hat.flatten(1)[:, 0])) == 3


@pytest.mark.parametrize("size", [8, 28])
def test_dcgan_pair_shapes(size):
    g, d = pt.DCGenerator(latent_dim=16, width=8, image_size=size), pt.DCDiscriminator(
        width=8, image_size=size)
    x = g(torch.randn(5, 16))
    assert x.shape == (5, 1, size, size) and x.abs().max() <= 1
    assert d(x).shape == (5,)


def test_patch_discriminator_map_and_receptive_field():
    d = pt.PatchDiscriminator(in_channels=1, width=4, n_layers=2)
    assert d(torch.zeros(2, 1, 16, 16)).shape == (2, 1, 4, 4)
    assert d.kernels_strides == [(4, 2), (4, 2), (3, 1)]
    assert ref.receptive_field(d.kernels_strides)[-1] == 1 + 3 + 6 + 8
    # the field measured by a gradient: one output logit depends on an 18x18 patch
    x = torch.zeros(1, 1, 32, 32, requires_grad=True)
    with torch.no_grad():
        for m in d.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.fill_(1.0)
    d(x)[0, 0, 4, 4].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero()
    assert rows.max() - rows.min() + 1 == 18


def test_patch_discriminator_with_stride_1_keeps_the_size():
    d = pt.PatchDiscriminator(in_channels=1, width=4, n_layers=2, stride=1)
    assert d.kernels_strides == [(3, 1), (3, 1), (3, 1)]
    assert ref.receptive_field(d.kernels_strides) == [1, 3, 5, 7]
    x = torch.zeros(1, 1, 8, 8, requires_grad=True)
    with torch.no_grad():
        for m in d.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.fill_(1.0)
    out = d(x)
    assert out.shape == (1, 1, 8, 8)
    out[0, 0, 4, 4].backward()
    seen = x.grad[0, 0] != 0
    assert seen.sum() == 7 * 7 and seen[1:8, 1:8].all()


def test_psnr_known_cases():
    target = np.zeros((2, 1, 4, 4))
    pred = target.copy()
    pred[0] += 0.1                                   # MSE 0.01 -> 10 log10(4 / 0.01)
    pred[1] += 0.2                                   # MSE 0.04
    want = (10 * np.log10(4 / 0.01) + 10 * np.log10(4 / 0.04)) / 2
    assert math.isclose(ref.psnr(pred, target, data_range=2.0), want)
    assert ref.psnr(target, target, data_range=1.0) == np.inf
    with pytest.raises(ValueError, match="psnr: pred and target must have the same"):
        ref.psnr(pred, target[:1], data_range=2.0)
    with pytest.raises(ValueError, match="psnr: data_range"):
        ref.psnr(pred, target, data_range=0.0)


def test_sr_generator_starts_from_bicubic_and_upscales():
    torch.manual_seed(0)
    g = pt.SRGenerator(channels=1, width=4, n_blocks=1, scale=2)
    x = torch.randn(3, 1, 4, 4)
    assert g(x).shape == (3, 1, 8, 8)
    with torch.no_grad():
        g.up[-1].weight.zero_()
        g.up[-1].bias.zero_()                        # the residual branch silenced
    bicubic = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)
    assert torch.allclose(g(x), bicubic)
    assert pt.SRGenerator(channels=3, width=4, scale=3)(torch.zeros(1, 3, 5, 5)).shape \
        == (1, 3, 15, 15)


def test_refiner_and_residual_block_keep_the_shape():
    torch.manual_seed(0)
    r = pt.Refiner(channels=1, width=4, n_blocks=2)
    x = torch.randn(2, 1, 8, 8)
    assert r(x).shape == x.shape
    with torch.no_grad():
        r.net[-1].weight.zero_()
        r.net[-1].bias.zero_()
    assert torch.equal(r(x), x)                      # R = identity + a learned change
    assert pt.ResidualBlock(4)(torch.zeros(1, 4, 3, 3)).shape == (1, 4, 3, 3)


def test_train_image_gan_content_only_fits_and_leaves_d_alone():
    torch.manual_seed(0)
    # blocky images: the exact inverse of 2x2 averaging is nearest upsampling,
    # which a network can learn and bicubic interpolation misses
    lr = torch.rand(64, 1, 4, 4) * 2 - 1
    hr = F.interpolate(lr, scale_factor=2, mode="nearest")
    g = pt.SRGenerator(width=8, n_blocks=1)
    d = pt.DCDiscriminator(width=4, image_size=8)
    before = [p.clone() for p in d.parameters()]
    hist = pt.train_image_gan(g, d, lr, hr, targets=hr, content=F.mse_loss,
                              adv_weight=0.0, steps=60, batch_size=16, progress=False,
                              device="cpu")
    assert len(hist.g_loss) == 60 and hist.d_loss == [0.0] * 60
    assert all(torch.equal(a, b) for a, b in zip(before, d.parameters()))
    with torch.no_grad():
        bicubic = F.interpolate(lr, scale_factor=2, mode="bicubic", align_corners=False)
        assert F.mse_loss(g(lr), hr) < 0.5 * F.mse_loss(bicubic, hr)


def test_train_image_gan_adversarial_trains_d_and_self_regularises():
    torch.manual_seed(0)
    synthetic = torch.where(torch.rand(32, 1, 8, 8) > 0.5, 1.0, -1.0)
    real = torch.rand(32, 1, 8, 8) * 2 - 1
    r, d = pt.Refiner(width=4), pt.PatchDiscriminator(width=4, n_layers=1, stride=1)
    before = [p.clone() for p in d.parameters()]
    seen = []

    def content(fake, y):
        seen.append(y)
        return F.l1_loss(fake, y)
    hist = pt.train_image_gan(r, d, synthetic, real, content=content, adv_weight=1.0,
                              steps=3, batch_size=8, progress=False, device="cpu")
    assert all(np.isfinite(hist.d_loss)) and all(v > 0 for v in hist.d_loss)
    assert not all(torch.equal(a, b) for a, b in zip(before, d.parameters()))
    # without targets the content loss compares with the input: values are +-1
    assert all(torch.all(y.abs() == 1) for y in seen)


def test_train_image_gan_raises_the_divergence_error_naming_the_step():
    torch.manual_seed(0)
    x = torch.randn(16, 1, 8, 8)
    with pytest.raises(TrainingDiverged,
                       match=r"train_image_gan: generator loss became nan at step 1"):
        pt.train_image_gan(pt.Refiner(width=4), pt.PatchDiscriminator(width=4), x, x,
                           content=lambda f, y: f.mean() * float("nan"),
                           adv_weight=0.0, steps=5, progress=False, device="cpu")


def _ring(n):
    return torch.as_tensor(ref.ring_centers(8)[np.random.default_rng(0).integers(0, 8, n)]
                           + 0.05 * np.random.default_rng(1).standard_normal((n, 2))).float()


def test_train_gan_runs_and_records():
    torch.manual_seed(0)
    g, d = pt.MLPGenerator(4, 2, hidden=16), pt.MLPDiscriminator(2, hidden=16)
    calls = []
    hist = pt.train_gan(g, d, _ring(256), g_loss="non_saturating",
                        d_loss="non_saturating", steps=6, d_steps=2, batch_size=32,
                        every=3, callback=lambda s: calls.append(s) or s, progress=False,
                        device="cpu")
    assert len(hist.d_loss) == len(hist.g_loss) == 6 and calls == [0, 3, 6]
    assert [s for s, _ in hist.logs] == [0, 3, 6]
    hist = pt.train_gan(g, d, _ring(256), g_loss="wasserstein", d_loss="wasserstein",
                        steps=2, d_steps=5, gp_weight=10.0, progress=False, device="cpu")
    assert all(np.isfinite(hist.d_loss))


def test_train_gan_raises_the_divergence_error_naming_the_step():
    torch.manual_seed(0)
    g, d = pt.MLPGenerator(4, 2, hidden=16), pt.MLPDiscriminator(2, hidden=16)
    opt = torch.optim.SGD(d.parameters(), lr=1e4)
    with pytest.raises(TrainingDiverged, match=r"train_gan: \w+ loss became \w+ at step \d+"):
        pt.train_gan(g, d, 100 * _ring(256), g_loss="least_squares",
                     d_loss="least_squares", steps=200, d_optimizer=opt, progress=False,
                     device="cpu")


def test_mode_coverage_known_cases():
    centers = ref.ring_centers(8, 2.0)
    rng = np.random.default_rng(0)
    one = centers[3] + 0.02 * rng.standard_normal((800, 2))
    covered, quality = ref.mode_coverage(one, centers, 0.02)
    assert covered == 1 and quality > 0.98    # in 2-D, P(|x - mu| > 3 std) = e^-4.5
    own = centers[rng.integers(0, 8, 800)] + 0.02 * rng.standard_normal((800, 2))
    covered, quality = ref.mode_coverage(own, centers, 0.02)
    assert covered == 8 and quality > 0.98
    noise = 3 * rng.standard_normal((800, 2))
    assert ref.mode_coverage(noise, centers, 0.02)[1] < 0.05 < quality


def test_frechet_distance_known_cases():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4000, 3))
    b = rng.standard_normal((4000, 3))
    shifted = b + np.array([2.0, 0.0, 0.0])
    assert abs(ref.frechet_distance(a, a)) < 1e-8
    assert ref.frechet_distance(a, b) < 0.05 < ref.frechet_distance(a, shifted)
    assert math.isclose(ref.frechet_distance(a, shifted), 4.0, rel_tol=0.05)
    # closed form for diagonal covariances: sum (s_a - s_b)^2 with s = std
    c = rng.standard_normal((20000, 2)) * np.array([1.0, 3.0])
    assert math.isclose(ref.frechet_distance(a[:, :2], c), (3 - 1) ** 2, rel_tol=0.05)


def test_classifier_scores():
    probs = np.array([[0.95, 0.05], [0.2, 0.8], [0.05, 0.95]])
    conf, covered = ref.classifier_scores(probs, confident=0.9)
    assert math.isclose(conf, (0.95 + 0.8 + 0.95) / 3) and covered == 2


def _image_gan(**overrides):
    kw = dict(inputs=torch.ones(4, 1, 8, 8), real=torch.ones(4, 1, 8, 8),
              content=F.l1_loss, adv_weight=1.0, steps=1, progress=False, device="cpu")
    kw.update(overrides)
    return pt.train_image_gan(pt.Refiner(), pt.PatchDiscriminator(), kw.pop("inputs"),
                              kw.pop("real"), **kw)


@pytest.mark.parametrize("call, error, match", [
    (lambda: ref.gan_d_loss_forward(np.ones(3), np.ones(3), kind="bce"), ValueError,
     "gan_d_loss_forward: unknown kind 'bce'"),
    (lambda: ref.gan_d_loss_forward(np.ones((3, 2)), np.ones((3, 1)), kind="hinge"),
     ValueError, "same shape after the batch"),
    (lambda: ref.gan_g_loss_forward(np.ones(3, dtype=int), kind="hinge"), TypeError,
     "floating-point"),
    (lambda: ref.gan_g_loss_forward(np.ones(0), kind="hinge"), ValueError, "empty"),
    (lambda: ref.optimal_discriminator(np.ones(3), np.ones(2)), ValueError, "same shape"),
    (lambda: ref.jensen_shannon(-np.ones(3), np.ones(3)), ValueError, ">= 0"),
    (lambda: ref.mode_coverage(np.ones((4, 3)), np.ones((8, 2)), 0.1), ValueError,
     "centers"),
    (lambda: ref.frechet_distance(np.ones((4, 3)), np.ones((5, 2))), ValueError,
     "features_b"),
    (lambda: pt.d_loss(torch.ones(3), torch.ones(4, 1), kind="hinge"), ValueError,
     "d_loss: real_logits and fake_logits"),
    (lambda: pt.g_loss(torch.ones(3), kind="wgan"), ValueError, "g_loss: unknown kind"),
    (lambda: pt.gradient_penalty(lambda x: x.sum(1), torch.ones(3, 2), torch.ones(2, 2)),
     ValueError, "gradient_penalty: real and fake"),
    (lambda: pt.train_gan(pt.MLPGenerator(2, 2), pt.MLPDiscriminator(2), torch.ones(4, 2),
                          g_loss="minimax", d_loss="hinge", steps=1), ValueError,
     "train_gan: unknown g_loss"),
    (lambda: pt.train_gan(pt.MLPGenerator(2, 2), pt.MLPDiscriminator(2), torch.ones(4, 2),
                          g_loss="hinge", d_loss="hinge", steps=0), ValueError,
     "train_gan: steps"),
    (lambda: pt.DCGenerator(image_size=16), ValueError, "DCGenerator: unknown image_size"),
    (lambda: pt.PatchDiscriminator(stride=3), ValueError,
     "PatchDiscriminator: unknown stride"),
    (lambda: ref.psnr(np.ones(3), np.ones(3), data_range=1.0), ValueError,
     "psnr: pred must be a batch"),
    (lambda: _image_gan(targets=torch.ones(3, 1, 8, 8)), ValueError,
     "train_image_gan: inputs and targets must pair up"),
    (lambda: _image_gan(inputs=np.ones((4, 1, 8, 8))), TypeError,
     "train_image_gan: inputs must be a tensor"),
    (lambda: _image_gan(content="l1"), TypeError,
     "train_image_gan: content must be a callable"),
    (lambda: _image_gan(adv_weight=-1.0), ValueError, "train_image_gan: adv_weight"),
])
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()
