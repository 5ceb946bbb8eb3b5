"""GANs in PyTorch: the losses, the gradient penalty, small G/D pairs and train_gan.

The losses take D's logits and follow ``dlnotes.ref.gan`` kind for kind, so the
NumPy reference and these agree in float64 (``tests/test_gan.py``).
"""
import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .._validate import check_array, check_choice, check_number, check_positive
from ..ref.gan import GAN_KINDS
from ..train import TrainingDiverged

__all__ = ["d_loss", "g_loss", "gradient_penalty", "MLPGenerator", "MLPDiscriminator",
           "DCGenerator", "DCDiscriminator", "PatchDiscriminator", "train_gan",
           "GANHistory", "ResidualBlock", "SRGenerator", "Refiner", "train_image_gan"]


def _check_logits(func, name, x):
    if not torch.is_tensor(x):
        raise TypeError(f"{func}: {name} must be a tensor, got {type(x).__name__}")
    check_array(func, name, x, floating=True)
    if x.numel() == 0:
        raise ValueError(f"{func}: {name} must not be empty, got shape {tuple(x.shape)}")


def d_loss(real_logits, fake_logits, *, kind):
    """The discriminator's loss from its logits on real and fake batches (batch means).

    saturating / non_saturating: BCE(real, 1) + BCE(fake, 0); least_squares:
    ((r-1)^2 + f^2) / 2; hinge: relu(1-r) + relu(1+f); wasserstein: f - r.
    """
    check_choice("d_loss", "kind", kind, GAN_KINDS)
    _check_logits("d_loss", "real_logits", real_logits)
    _check_logits("d_loss", "fake_logits", fake_logits)
    if real_logits.shape[1:] != fake_logits.shape[1:]:
        raise ValueError(f"d_loss: real_logits and fake_logits must have the same shape "
                         f"after the batch dimension, got {tuple(real_logits.shape)} and "
                         f"{tuple(fake_logits.shape)}")
    r, f = real_logits, fake_logits
    if kind in ("saturating", "non_saturating"):
        return (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))
    if kind == "least_squares":
        return 0.5 * F.mse_loss(r, torch.ones_like(r)) + 0.5 * f.pow(2).mean()
    if kind == "hinge":
        return F.relu(1 - r).mean() + F.relu(1 + f).mean()
    return f.mean() - r.mean()


def g_loss(fake_logits, *, kind):
    """The generator's loss from D's logits on its samples (batch mean).

    saturating: mean log(1 - D(G(z))) = -mean softplus(f) (minimised: the original
    minimax); non_saturating: -mean log D(G(z)) = BCE(fake, 1); least_squares:
    (f-1)^2 / 2; hinge and wasserstein: -f.
    """
    check_choice("g_loss", "kind", kind, GAN_KINDS)
    _check_logits("g_loss", "fake_logits", fake_logits)
    f = fake_logits
    if kind == "saturating":
        return -F.softplus(f).mean()
    if kind == "non_saturating":
        return F.binary_cross_entropy_with_logits(f, torch.ones_like(f))
    if kind == "least_squares":
        return 0.5 * F.mse_loss(f, torch.ones_like(f))
    return -f.mean()


def gradient_penalty(critic, real, fake):
    """WGAN-GP's two-sided penalty E[(||grad_x critic(x_hat)||_2 - 1)^2] (no lambda).

    x_hat = eps * real + (1 - eps) * fake with one eps ~ U(0, 1) per sample; the
    gradient's norm is taken per sample over all non-batch dimensions
    (``grad.flatten(1).norm(dim=1)``), not over the channel axis alone. The caller
    multiplies by lambda (10 in the paper). Draws eps from torch's global generator.

    Args:
        critic: maps (N, ...) to (N,) or (N, 1) scores.
        real, fake: (N, ...) batches of the same shape; ``fake`` may carry the
            generator's graph (it is detached here: the penalty trains the critic).
    Returns:
        scalar tensor, differentiable with respect to the critic's parameters.
    """
    for name, x in (("real", real), ("fake", fake)):
        if not torch.is_tensor(x):
            raise TypeError(f"gradient_penalty: {name} must be a tensor, "
                            f"got {type(x).__name__}")
        check_array("gradient_penalty", name, x, floating=True)
    if real.shape != fake.shape or real.ndim < 2:
        raise ValueError(f"gradient_penalty: real and fake must have the same shape "
                         f"(N, ...) with at least 2 dimensions, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")
    eps = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), device=real.device,
                     dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(dim=1)                  # (N,): one norm per sample
    return ((norms - 1) ** 2).mean()


class MLPGenerator(nn.Module):
    """z (N, latent_dim) -> x (N, out_dim): Linear-ReLU blocks, a linear output.

    Args:
        latent_dim, out_dim: sizes of z and of a sample (1 or 2 for the toys).
        hidden: width of each hidden layer; depth: number of hidden layers.
        out_shape: reshape the output to (N, *out_shape), e.g. (1, 8, 8).
        tanh: squash the output to (-1, 1) (images scaled to that range).
    """

    def __init__(self, latent_dim, out_dim, hidden=64, depth=2, out_shape=None, tanh=False):
        super().__init__()
        for name, v in (("latent_dim", latent_dim), ("out_dim", out_dim),
                        ("hidden", hidden), ("depth", depth)):
            check_positive("MLPGenerator", name, v, integer=True)
        self.latent_dim, self.out_shape = latent_dim, out_shape
        layers, d = [], latent_dim
        for _ in range(depth):
            layers += [nn.Linear(d, hidden), nn.ReLU()]
            d = hidden
        layers.append(nn.Linear(d, out_dim))
        if tanh:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        x = self.net(z)
        return x if self.out_shape is None else x.view(len(z), *self.out_shape)


class MLPDiscriminator(nn.Module):
    """x (N, ...) -> logits (N,): flattened input, Linear-LeakyReLU(0.2) blocks."""

    def __init__(self, in_dim, hidden=64, depth=2):
        super().__init__()
        for name, v in (("in_dim", in_dim), ("hidden", hidden), ("depth", depth)):
            check_positive("MLPDiscriminator", name, v, integer=True)
        layers, d = [], in_dim
        for _ in range(depth):
            layers += [nn.Linear(d, hidden), nn.LeakyReLU(0.2)]
            d = hidden
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x.flatten(1)).squeeze(1)


class DCGenerator(nn.Module):
    """DCGAN-style generator for 8x8 or 28x28 grey images, output in (-1, 1).

    z -> Linear -> (2w, s/4, s/4) -> ConvTranspose(4, 2, 1) + BN + ReLU -> (w, s/2, s/2)
    -> ConvTranspose(4, 2, 1) + tanh -> (1, s, s), with s = image_size.
    """

    def __init__(self, latent_dim=32, width=32, image_size=8):
        super().__init__()
        check_positive("DCGenerator", "latent_dim", latent_dim, integer=True)
        check_positive("DCGenerator", "width", width, integer=True)
        check_choice("DCGenerator", "image_size", image_size, (8, 28))
        self.latent_dim, self.width, self.base = latent_dim, width, image_size // 4
        self.project = nn.Sequential(
            nn.Linear(latent_dim, 2 * width * self.base ** 2),
            nn.BatchNorm1d(2 * width * self.base ** 2), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        h = self.project(z).view(len(z), 2 * self.width, self.base, self.base)
        return self.net(h)


class DCDiscriminator(nn.Module):
    """DCGAN-style discriminator: Conv(4, 2, 1) + LeakyReLU(0.2) twice, then Linear.

    (N, 1, s, s) -> logits (N,); no batch norm, so it also serves as a WGAN-GP critic
    (the penalty is per sample, which batch norm would break).
    """

    def __init__(self, width=32, image_size=8):
        super().__init__()
        check_positive("DCDiscriminator", "width", width, integer=True)
        check_choice("DCDiscriminator", "image_size", image_size, (8, 28))
        base = image_size // 4
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * base ** 2, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


class PatchDiscriminator(nn.Module):
    """A local (patch) discriminator: a fully convolutional map of logits.

    ``n_layers`` convolutions + LeakyReLU(0.2), then Conv(3, 1, 1) to one channel:
    each output logit judges one patch of the input (its receptive field,
    ``ref.receptive_field(self.kernels_strides)``), as in SimGAN and pix2pix. With
    ``stride=2`` the layers are Conv(4, 2, 1), each halving the map (pix2pix's
    PatchGAN); with ``stride=1`` they are Conv(3, 1, 1), keeping the size (for
    images as small as 8x8, where halving would leave one patch).

    Shape: (N, C, H, W) -> (N, 1, H / stride^n_layers, W / stride^n_layers).
    """

    def __init__(self, in_channels=1, width=16, n_layers=2, stride=2):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("width", width),
                        ("n_layers", n_layers)):
            check_positive("PatchDiscriminator", name, v, integer=True)
        check_choice("PatchDiscriminator", "stride", stride, (1, 2))
        kernel = 4 if stride == 2 else 3
        layers, c = [], in_channels
        for i in range(n_layers):
            w = width * stride ** i
            layers += [nn.Conv2d(c, w, kernel, stride, 1), nn.LeakyReLU(0.2)]
            c = w
        layers.append(nn.Conv2d(c, 1, 3, 1, 1))
        self.net = nn.Sequential(*layers)

    @property
    def kernels_strides(self):
        """[(kernel, stride), ...] of the convolutions, for ``ref.receptive_field``."""
        return [(m.kernel_size[0], m.stride[0]) for m in self.net
                if isinstance(m, nn.Conv2d)]

    def forward(self, x):
        return self.net(x)


class ResidualBlock(nn.Module):
    """x + Conv(3)-PReLU-Conv(3)(x): SRGAN's residual block (without its batch norm,
    as EDSR, Lim et al., 2017, found better for super-resolution). Keeps the shape."""

    def __init__(self, width):
        super().__init__()
        check_positive("ResidualBlock", "width", width, integer=True)
        self.net = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.PReLU(width),
                                 nn.Conv2d(width, width, 3, 1, 1))

    def forward(self, x):
        return x + self.net(x)


class SRGenerator(nn.Module):
    """A small SRGAN-style generator: (N, C, h, w) -> (N, C, scale h, scale w).

    Conv(9 in SRGAN, 3 here) + PReLU, ``n_blocks`` residual blocks with a skip
    around them, a sub-pixel (PixelShuffle) upsampling by ``scale``, a last Conv.
    Unlike SRGAN, the network's output is added to the bicubic upsampling of the
    input (a global residual, as VDSR, Kim et al., 2016): it only learns what
    bicubic misses, which a few hundred steps on tiny images can do.
    """

    def __init__(self, channels=1, width=16, n_blocks=2, scale=2):
        super().__init__()
        for name, v in (("channels", channels), ("width", width),
                        ("n_blocks", n_blocks), ("scale", scale)):
            check_positive("SRGenerator", name, v, integer=True)
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(channels, width, 3, 1, 1), nn.PReLU(width))
        self.body = nn.Sequential(*[ResidualBlock(width) for _ in range(n_blocks)])
        self.up = nn.Sequential(
            nn.Conv2d(width, width * scale ** 2, 3, 1, 1), nn.PixelShuffle(scale),
            nn.PReLU(width), nn.Conv2d(width, channels, 3, 1, 1))

    def forward(self, x):
        h = self.head(x)
        up = F.interpolate(x, scale_factor=self.scale, mode="bicubic",
                           align_corners=False)
        return up + self.up(h + self.body(h))


class Refiner(nn.Module):
    """SimGAN's refiner, small: x + Conv(1x1)(ResBlocks(Conv(3)-ReLU(x))), same shape.

    The residual form starts near the identity; the self-regularisation loss
    ||R(x) - x||_1 (the caller's ``content``) keeps it there except where the
    discriminator asks for change.
    """

    def __init__(self, channels=1, width=16, n_blocks=1):
        super().__init__()
        for name, v in (("channels", channels), ("width", width),
                        ("n_blocks", n_blocks)):
            check_positive("Refiner", name, v, integer=True)
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, 1, 1), nn.ReLU(),
            *[ResidualBlock(width) for _ in range(n_blocks)],
            nn.Conv2d(width, channels, 1))

    def forward(self, x):
        return x + self.net(x)


@dataclass
class GANHistory:
    """Per generator step: the losses; ``logs``: (step, callback value) pairs."""
    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    logs: list = field(default_factory=list)


def _loss_fn(func, name, loss, torch_fn):
    if isinstance(loss, str):
        check_choice(func, name, loss, GAN_KINDS)
        return lambda *logits: torch_fn(*logits, kind=loss)
    if not callable(loss):
        raise TypeError(f"{func}: {name} must be a kind ({', '.join(GAN_KINDS)}) or a "
                        f"callable, got {type(loss).__name__}")
    return loss



def _update(func, name, loss, g_opt, d_opt, step, bar):
    """One step of the generator's or the discriminator's optimiser (``name``) on
    ``loss``, after the divergence guard: a nan or inf loss closes the bar and
    raises TrainingDiverged naming the step and both learning rates."""
    value = loss.item()
    if not math.isfinite(value):
        bar.close()
        raise TrainingDiverged(f"{func}: {name} loss became {value} at step {step} "
                               f"(lr_g={g_opt.param_groups[0]['lr']}, "
                               f"lr_d={d_opt.param_groups[0]['lr']})")
    optimizer = g_opt if name == "generator" else d_opt
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def train_gan(generator, discriminator, data, *, g_loss, d_loss, steps, d_steps=1,
              batch_size=128, lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), gp_weight=0.0,
              g_optimizer=None, d_optimizer=None, every=None, callback=None,
              device=None, progress=True):
    """The book's GAN loop: ``d_steps`` discriminator updates, then one generator update.

    Args:
        generator: maps z (N, generator.latent_dim) to samples; must have
            ``latent_dim``.
        discriminator: maps samples to logits (any shape with the batch first).
        data: real samples, a tensor or array (N, ...) drawn from with replacement,
            or a callable ``data(batch_size)`` returning a fresh batch.
        g_loss, d_loss: a kind of ``GAN_KINDS`` or a callable on logits
            (``g_loss(fake_logits)``, ``d_loss(real_logits, fake_logits)``).
        steps: generator updates; d_steps: discriminator updates before each.
        lr_g, lr_d, betas: Adam's settings when no optimizer is given.
        gp_weight: lambda of the WGAN-GP gradient penalty added to D's loss (0: none).
        every, callback: call ``callback(step)`` after every ``every``-th generator
            step (and before the first, step 0); its values go to ``history.logs``.
    Returns:
        GANHistory.
    Raises:
        TrainingDiverged: a loss became nan or inf (the message names the step).
    """
    func = "train_gan"
    check_positive(func, "steps", steps, integer=True)
    check_positive(func, "d_steps", d_steps, integer=True)
    check_positive(func, "batch_size", batch_size, integer=True)
    check_number(func, "gp_weight", gp_weight, low=0)
    if not hasattr(generator, "latent_dim"):
        raise TypeError(f"{func}: generator must have a latent_dim attribute")
    if every is not None:
        check_positive(func, "every", every, integer=True)
    g_fn = _loss_fn(func, "g_loss", g_loss, globals()["g_loss"])
    d_fn = _loss_fn(func, "d_loss", d_loss, globals()["d_loss"])
    if device is None:
        from .. import device as default_device
        device = default_device()
    generator.to(device)
    discriminator.to(device)
    if callable(data) and not torch.is_tensor(data):
        sample = lambda n: data(n).to(device)            # noqa: E731
    else:
        real = torch.as_tensor(data).float().to(device)
        sample = lambda n: real[torch.randint(len(real), (n,), device=device)]  # noqa
    g_opt = g_optimizer or torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
    d_opt = d_optimizer or torch.optim.Adam(discriminator.parameters(), lr=lr_d,
                                            betas=betas)
    hist = GANHistory()

    def log(step):
        if callback is not None and every is not None:
            generator.eval()
            with torch.no_grad():
                hist.logs.append((step, callback(step)))
            generator.train()

    log(0)
    bar = tqdm(total=steps, desc="train_gan", unit="step", disable=not progress)
    for step in range(1, steps + 1):
        for _ in range(d_steps):
            x = sample(batch_size)
            z = torch.randn(batch_size, generator.latent_dim, device=device)
            with torch.no_grad():
                fake = generator(z)
            loss_d = d_fn(discriminator(x), discriminator(fake))
            if gp_weight:
                loss_d = loss_d + gp_weight * gradient_penalty(discriminator, x, fake)
            _update(func, "discriminator", loss_d, g_opt, d_opt, step, bar)
        z = torch.randn(batch_size, generator.latent_dim, device=device)
        loss_g = g_fn(discriminator(generator(z)))
        _update(func, "generator", loss_g, g_opt, d_opt, step, bar)
        hist.d_loss.append(loss_d.item())
        hist.g_loss.append(loss_g.item())
        bar.update(1)
        if step % 50 == 0:
            bar.set_postfix(d=f"{hist.d_loss[-1]:.3f}", g=f"{hist.g_loss[-1]:.3f}",
                            refresh=False)
        if every is not None and step % every == 0:
            log(step)
    bar.close()
    return hist


def _image_batches(func, name, x):
    if not torch.is_tensor(x):
        raise TypeError(f"{func}: {name} must be a tensor, got {type(x).__name__}")
    check_array(func, name, x, floating=True)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"{func}: {name} must be a non-empty batch (N, ...), "
                         f"got shape {tuple(x.shape)}")


def train_image_gan(generator, discriminator, inputs, real, *, content, adv_weight,
                    steps, targets=None, kind="non_saturating", batch_size=64,
                    lr_g=1e-3, lr_d=1e-3, betas=(0.5, 0.999), device=None,
                    progress=True):
    """The book's loop for a GAN that maps an image to an image (SRGAN, SimGAN).

    Each step draws a batch of inputs x (with their targets y, if any) and a
    separate batch of real images; D learns real vs G(x) with ``kind``'s loss; G
    minimises ``content(G(x), y) + adv_weight * g_loss(D(G(x)))``. For
    super-resolution y is the high-resolution image of x (the content loss);
    without ``targets``, y = x, SimGAN's self-regularisation ||G(x) - x||.
    ``adv_weight=0`` trains G on the content loss alone and leaves D untouched.

    Args:
        generator, discriminator: nn.Modules; D's logits may be a patch map.
        inputs: (N, ...) generator inputs; targets: (N, ...) paired targets or None.
        real: (M, ...) real images for D, drawn independently of the inputs.
        content: callable ``content(fake, y)`` -> scalar loss (F.mse_loss, F.l1_loss).
        adv_weight: weight of the adversarial term (>= 0).
        steps: generator updates, one D update before each.
    Returns:
        GANHistory (d_loss, g_loss: the generator's total loss).
    Raises:
        TrainingDiverged: a loss became nan or inf (the message names the step).
    """
    func = "train_image_gan"
    _image_batches(func, "inputs", inputs)
    _image_batches(func, "real", real)
    if targets is not None:
        _image_batches(func, "targets", targets)
        if len(targets) != len(inputs):
            raise ValueError(f"{func}: inputs and targets must pair up, got "
                             f"{len(inputs)} inputs and {len(targets)} targets")
    if not callable(content):
        raise TypeError(f"{func}: content must be a callable content(fake, target), "
                        f"got {type(content).__name__}")
    check_number(func, "adv_weight", adv_weight, low=0)
    check_positive(func, "steps", steps, integer=True)
    check_positive(func, "batch_size", batch_size, integer=True)
    check_choice(func, "kind", kind, GAN_KINDS)
    if device is None:
        from .. import device as default_device
        device = default_device()
    generator.to(device)
    discriminator.to(device)
    inputs, real = inputs.to(device), real.to(device)
    targets = inputs if targets is None else targets.to(device)
    g_opt = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
    hist = GANHistory()
    bar = tqdm(total=steps, desc=func, unit="step", disable=not progress)

    for step in range(1, steps + 1):
        idx = torch.randint(len(inputs), (batch_size,), device=device)
        x, y = inputs[idx], targets[idx]
        fake = generator(x)
        loss_d = torch.zeros(())
        if adv_weight:
            xr = real[torch.randint(len(real), (batch_size,), device=device)]
            loss_d = d_loss(discriminator(xr), discriminator(fake.detach()), kind=kind)
            _update(func, "discriminator", loss_d, g_opt, d_opt, step, bar)
        loss_g = content(fake, y)
        if adv_weight:
            loss_g = loss_g + adv_weight * g_loss(discriminator(fake), kind=kind)
        _update(func, "generator", loss_g, g_opt, d_opt, step, bar)
        hist.d_loss.append(loss_d.item())
        hist.g_loss.append(loss_g.item())
        bar.update(1)
    bar.close()
    return hist
