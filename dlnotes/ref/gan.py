"""GAN losses as forward/backward pairs on the discriminator's logits, and GAN metrics.

The discriminator D outputs a logit ``s`` per sample (a score for the critic of a
WGAN); ``sigmoid(s)`` is its probability that the sample is real. As in
``losses.py``, forward returns ``(loss, cache)`` with ``loss`` a float64 scalar
(batch means), and backward is ``backward(dout, cache)``, the order of every other
backward in ``dlnotes.ref`` (a loss ends the graph, so a loop writes
``backward(1.0, cache)``; the old order ``backward(cache)`` raises a TypeError):

- ``gan_d_loss_backward(dout, cache) -> (dreal_logits, dfake_logits)``
- ``gan_g_loss_backward(dout, cache) -> dfake_logits``

Kinds (``kind=``), with r the real logits, f the fake logits, sp = softplus:

================  ===============================  =========================
kind              discriminator loss               generator loss
================  ===============================  =========================
saturating        mean sp(-r) + mean sp(f)         -mean sp(f) = mean log(1 - D)
non_saturating    mean sp(-r) + mean sp(f)         mean sp(-f) = -mean log D
least_squares     (mean (r-1)^2 + mean f^2) / 2    mean (f-1)^2 / 2
hinge             mean relu(1-r) + mean relu(1+f)  -mean f
wasserstein       mean f - mean r                  -mean f
================  ===============================  =========================
"""
import numpy as np

from .._validate import check_array, check_choice, check_number, check_same_shape
from .losses import _cache

__all__ = [
    "GAN_KINDS", "gan_d_loss_forward", "gan_d_loss_backward", "gan_g_loss_forward",
    "gan_g_loss_backward", "optimal_discriminator", "jensen_shannon", "mode_coverage",
    "ring_centers", "frechet_distance", "classifier_scores", "psnr",
]

GAN_KINDS = ("saturating", "non_saturating", "least_squares", "hinge", "wasserstein")


def _softplus(x):
    """log(1 + e^x) without overflow."""
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _logits(func, name, x):
    check_array(func, name, x, ndim=(1, 2, 3, 4), floating=True)
    if x.size == 0:
        raise ValueError(f"{func}: {name} must not be empty, got shape {x.shape}")
    return np.asarray(x, dtype=np.float64)


def gan_d_loss_forward(real_logits, fake_logits, *, kind):
    """The discriminator's loss on a batch of real and a batch of generated samples.

    Args:
        real_logits: (N, ...) D's logits on real data (a patch discriminator's map
            is fine: the mean runs over every element).
        fake_logits: (M, ...) D's logits on generated data, the same trailing shape.
        kind: one of ``GAN_KINDS`` (the first two share this loss).
    Returns:
        loss: float64 scalar; cache for gan_d_loss_backward.
    """
    func = "gan_d_loss_forward"
    check_choice(func, "kind", kind, GAN_KINDS)
    r = _logits(func, "real_logits", real_logits)
    f = _logits(func, "fake_logits", fake_logits)
    if r.shape[1:] != f.shape[1:]:
        raise ValueError(f"{func}: real_logits and fake_logits must have the same shape "
                         f"after the batch dimension, got {r.shape} and {f.shape}")
    if kind in ("saturating", "non_saturating"):
        loss = _softplus(-r).mean() + _softplus(f).mean()
    elif kind == "least_squares":
        loss = 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean()
    elif kind == "hinge":
        loss = np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean()
    else:
        loss = f.mean() - r.mean()
    return float(loss), (r, f, kind)


def gan_d_loss_backward(dout=1.0, cache=None):
    """Gradients of ``dout * gan_d_loss_forward``: (dreal_logits, dfake_logits)."""
    r, f, kind = _cache("gan_d_loss_backward", dout, cache)
    if kind in ("saturating", "non_saturating"):
        dr, df = -_sigmoid(-r), _sigmoid(f)        # d sp(-r)/dr, d sp(f)/df
    elif kind == "least_squares":
        dr, df = r - 1, f
    elif kind == "hinge":
        dr, df = -(1 - r > 0).astype(float), (1 + f > 0).astype(float)
    else:
        dr, df = -np.ones_like(r), np.ones_like(f)
    return dout * dr / r.size, dout * df / f.size


def gan_g_loss_forward(fake_logits, *, kind):
    """The generator's loss, a function of D's logits on generated samples only.

    Args:
        fake_logits: (M, ...) logits of D on G(z).
        kind: one of ``GAN_KINDS``.
    Returns:
        loss: float64 scalar; cache for gan_g_loss_backward.
    """
    func = "gan_g_loss_forward"
    check_choice(func, "kind", kind, GAN_KINDS)
    f = _logits(func, "fake_logits", fake_logits)
    if kind == "saturating":
        loss = -_softplus(f).mean()                # mean log(1 - sigmoid(f))
    elif kind == "non_saturating":
        loss = _softplus(-f).mean()                # -mean log sigmoid(f)
    elif kind == "least_squares":
        loss = 0.5 * ((f - 1) ** 2).mean()
    else:
        loss = -f.mean()
    return float(loss), (f, kind)


def gan_g_loss_backward(dout=1.0, cache=None):
    """Gradient of ``dout * gan_g_loss_forward`` with respect to fake_logits.

    saturating: -D(G(z)) / M, which vanishes when D confidently rejects the fakes;
    non_saturating: -(1 - D(G(z))) / M, largest exactly then.
    """
    f, kind = _cache("gan_g_loss_backward", dout, cache)
    if kind == "saturating":
        df = -_sigmoid(f)
    elif kind == "non_saturating":
        df = -_sigmoid(-f)
    elif kind == "least_squares":
        df = f - 1
    else:
        df = -np.ones_like(f)
    return dout * df / f.size


def _densities(func, p, q, names):
    for name, a in zip(names, (p, q)):
        check_array(func, name, a, floating=True)
        if np.any(a < 0) or not np.all(np.isfinite(a)):
            raise ValueError(f"{func}: {name} must be finite and >= 0")
    check_same_shape(func, names, p, q)
    return np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)


def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), the best D for a fixed generator.

    Args:
        p_data, p_g: densities (or masses) on the same points, any shape, >= 0.
    Returns:
        D*, same shape; 1/2 where both densities are 0 (any value is optimal there).
    """
    p, q = _densities("optimal_discriminator", p_data, p_g, ("p_data", "p_g"))
    total = p + q
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, p / safe, 0.5)


def _kl_to_mixture(a, b):
    """KL(a || (a + b) / 2), written so that tiny masses never divide by zero."""
    mask = a > 0
    return float(np.sum(a[mask] * np.log(2 * a[mask] / (a[mask] + b[mask]))))


def jensen_shannon(p, q):
    """Jensen-Shannon divergence in nats between two distributions on one grid.

    JSD(p, q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2; in [0, log 2].

    Args:
        p, q: densities or masses at the same grid points (uniform spacing), >= 0;
            each is normalised to sum to 1, so the spacing cancels.
    """
    p, q = _densities("jensen_shannon", p, q, ("p", "q"))
    if p.sum() <= 0 or q.sum() <= 0:
        raise ValueError("jensen_shannon: p and q must each have a positive sum")
    p, q = p / p.sum(), q / q.sum()
    return 0.5 * _kl_to_mixture(p, q) + 0.5 * _kl_to_mixture(q, p)


def ring_centers(n_modes=8, radius=2.0):
    """(n_modes, 2) centres evenly spaced on a circle, the first at (radius, 0)."""
    check_number("ring_centers", "n_modes", n_modes, low=1, integer=True)
    check_number("ring_centers", "radius", radius, low=0, low_open=True)
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def mode_coverage(samples, centers, std, *, n_std=3.0, min_fraction=0.2):
    """Modes covered and share of high-quality samples for a mixture of Gaussians.

    As in the mode-collapse literature (Unrolled GAN, VEEGAN, PacGAN): a sample is
    high quality when it lies within ``n_std`` standard deviations of its nearest
    centre; a mode is covered when it receives at least ``min_fraction`` of the
    high-quality samples a uniform share would give it (N / K), PacGAN's rule of
    20 of an expected 100.

    Args:
        samples: (N, D) generated points.
        centers: (K, D) the mixture's means.
        std: the components' standard deviation.
    Returns:
        (modes covered: int, high-quality share: float in [0, 1]).
    """
    func = "mode_coverage"
    check_array(func, "samples", samples, ndim=2, floating=True, what="(N, D)")
    check_array(func, "centers", centers, ndim=2, shape=(None, samples.shape[1]),
                floating=True)
    check_number(func, "std", std, low=0, low_open=True)
    check_number(func, "n_std", n_std, low=0, low_open=True)
    check_number(func, "min_fraction", min_fraction, low=0, high=1)
    d = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)   # (N, K)
    nearest, dist = d.argmin(axis=1), d.min(axis=1)
    good = dist <= n_std * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    needed = max(1.0, min_fraction * len(samples) / len(centers))
    return int((counts >= needed).sum()), float(good.mean())


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two sets of features.

    ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)): the FID formula, here on
    whatever features the caller computes (the book uses a small digit classifier,
    not Inception, so the numbers are not comparable with published FIDs).

    Args:
        features_a: (N, F); features_b: (M, F).
    """
    func = "frechet_distance"
    check_array(func, "features_a", features_a, ndim=2, floating=True, what="(N, F)")
    check_array(func, "features_b", features_b, ndim=2,
                shape=(None, features_a.shape[1]), floating=True)
    for name, x in (("features_a", features_a), ("features_b", features_b)):
        if len(x) < 2:
            raise ValueError(f"{func}: {name} needs at least 2 rows, got {len(x)}")
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    s_a, s_b = np.atleast_2d(s_a), np.atleast_2d(s_b)
    # tr (S_a S_b)^(1/2) = sum sqrt(eig(S_a S_b)): S_a S_b is similar to the PSD
    # matrix S_a^(1/2) S_b S_a^(1/2), so its eigenvalues are real and >= 0
    eig = np.linalg.eigvals(s_a @ s_b).real
    tr_sqrt = np.sqrt(np.clip(eig, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b)
                 - 2 * tr_sqrt)


def classifier_scores(probs, *, confident=0.9):
    """Mean top-class confidence and classes covered by confident predictions.

    Args:
        probs: (N, C) class probabilities of generated samples under a classifier
            trained on real data.
        confident: a prediction counts towards coverage when its top probability
            reaches this.
    Returns:
        (mean confidence: float, classes covered: int).
    """
    check_array("classifier_scores", "probs", probs, ndim=2, floating=True,
                what="(N, C)")
    check_number("classifier_scores", "confident", confident, low=0, high=1)
    top = probs.max(axis=1)
    classes = np.unique(probs.argmax(axis=1)[top >= confident])
    return float(top.mean()), int(len(classes))


def psnr(pred, target, *, data_range):
    """Peak signal-to-noise ratio in dB, per image, averaged over the batch.

    PSNR = 10 log10(data_range^2 / MSE) with the MSE over each image's pixels;
    ``data_range`` is max - min of the pixel scale (2 for images in [-1, 1]).
    Higher is better; identical images give inf.

    Args:
        pred, target: (N, ...) batches of images of the same shape.
    """
    func = "psnr"
    check_array(func, "pred", pred, floating=True)
    check_array(func, "target", target, floating=True)
    check_same_shape(func, ("pred", "target"), pred, target)
    if pred.ndim < 2:
        raise ValueError(f"psnr: pred must be a batch (N, ...) of images, got shape "
                         f"{pred.shape}")
    check_number(func, "data_range", data_range, low=0, low_open=True)
    diff = np.asarray(pred, np.float64) - np.asarray(target, np.float64)
    mse = (diff ** 2).reshape(len(diff), -1).mean(axis=1)
    with np.errstate(divide="ignore"):
        return float(np.mean(10 * np.log10(data_range ** 2 / mse)))
