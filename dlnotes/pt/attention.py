"""Attention modules in PyTorch: multi-head, spatial, channel, mixed, glimpses, seq2seq.

``MultiHeadAttention`` has ``nn.MultiheadAttention``'s parameter names and layout
(``in_proj_weight`` stacks W_q, W_k, W_v; ``out_proj``), so the built-in's
``state_dict`` loads into it, and its mask convention (True = may NOT attend).
Every ``affine_grid`` / ``grid_sample`` call passes ``align_corners=False``.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .._validate import check_choice, check_positive

__all__ = ["MultiHeadAttention", "SpatialTransformer", "SqueezeExcitation",
           "ResidualAttention", "GlimpseSensor", "Seq2Seq"]


class MultiHeadAttention(nn.Module):
    """Multi-head attention written out, loading nn.MultiheadAttention's state_dict.

    Args:
        embed_dim: E; num_heads: divides E; bias: in_proj and out_proj biases;
        batch_first: inputs (N, L, E) instead of (L, N, E).
    """

    def __init__(self, embed_dim, num_heads, bias=True, batch_first=False):
        super().__init__()
        check_positive("MultiHeadAttention", "embed_dim", embed_dim, integer=True)
        check_positive("MultiHeadAttention", "num_heads", num_heads, integer=True)
        if embed_dim % num_heads:
            raise ValueError(f"MultiHeadAttention: embed_dim {embed_dim} must be "
                             f"divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)           # as the built-in
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """Shapes as nn.MultiheadAttention; returns (out, weights or None)."""
        if self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        L, N, E = query.shape
        S, H, d = key.shape[0], self.num_heads, self.head_dim
        if E != self.embed_dim:
            raise ValueError(f"MultiHeadAttention: expected embed_dim "
                             f"{self.embed_dim}, got query of shape "
                             f"{tuple(query.shape)}")
        b = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else [None] * 3
        W = self.in_proj_weight.chunk(3)
        q, k, v = (F.linear(x, W[i], b[i]).reshape(x.shape[0], N, H, d)
                   .permute(1, 2, 0, 3)                                # (N, H, T, d)
                   for i, x in enumerate((query, key, value)))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d)                 # (N, H, L, S)
        if is_causal and attn_mask is None:
            attn_mask = torch.ones(L, S, dtype=torch.bool,
                                   device=query.device).triu(1)
        if attn_mask is not None:
            if tuple(attn_mask.shape) not in ((L, S), (N * H, L, S)):
                raise ValueError(f"MultiHeadAttention: attn_mask must have shape "
                                 f"({L}, {S}) or ({N * H}, {L}, {S}), got "
                                 f"{tuple(attn_mask.shape)}")
            am = _additive(attn_mask, scores.dtype)
            scores = scores + (am.reshape(N, H, L, S) if am.dim() == 3 else am)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (N, S):
                raise ValueError(f"MultiHeadAttention: key_padding_mask must have "
                                 f"shape (N, S) = ({N}, {S}), got "
                                 f"{tuple(key_padding_mask.shape)}")
            kpm = _additive(key_padding_mask, scores.dtype)
            scores = scores + kpm[:, None, None, :]
        weights = scores.softmax(dim=-1)
        out = (weights @ v).permute(2, 0, 1, 3).reshape(L, N, E)
        out = self.out_proj(out)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        return out, weights.mean(dim=1) if average_attn_weights else weights


def _additive(mask, dtype):
    """True = may not attend -> -inf; a float mask is already additive."""
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype,
                           device=mask.device).masked_fill(mask, float("-inf"))
    return mask


class SpatialTransformer(nn.Module):
    """Localisation net -> affine theta -> grid -> bilinear sampler (Jaderberg 2015).

    The last layer starts at zero weights and the identity bias, so an untrained
    transformer passes its input through (resampled to ``out_size``).

    Args:
        in_channels: C; in_size: (H, W) of the input; out_size: (H, W) of the
            output (default in_size); hidden: width of the localisation net.
    """

    def __init__(self, in_channels, in_size, out_size=None, hidden=32):
        super().__init__()
        self.out_size = tuple(out_size or in_size)
        h, w = in_size
        self.loc = nn.Sequential(
            nn.Conv2d(in_channels, 8, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(8, 10, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
            nn.Flatten(), nn.Linear(10 * (h // 4) * (w // 4), hidden), nn.ReLU(),
            nn.Linear(hidden, 6))
        nn.init.zeros_(self.loc[-1].weight)
        with torch.no_grad():
            self.loc[-1].bias.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]))
        self.theta = None                           # the last batch's transforms

    def forward(self, x):
        theta = self.loc(x).view(-1, 2, 3)
        self.theta = theta.detach()
        grid = F.affine_grid(theta, (x.shape[0], x.shape[1], *self.out_size),
                             align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)


class SqueezeExcitation(nn.Module):
    """Channel attention: x * sigmoid(W2 relu(W1 avgpool(x))) (Hu et al. 2018).

    Args:
        channels: C; reduction: r, the bottleneck has max(1, C // r) units.
    """

    def __init__(self, channels, reduction=16):
        super().__init__()
        check_positive("SqueezeExcitation", "channels", channels, integer=True)
        check_positive("SqueezeExcitation", "reduction", reduction, integer=True)
        hidden = max(1, channels // reduction)
        self.fc1, self.fc2 = nn.Linear(channels, hidden), nn.Linear(hidden, channels)
        self.scale = None                           # the last batch's channel weights

    def forward(self, x):                           # (N, C, H, W)
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean(dim=(2, 3))))))
        self.scale = s.detach()
        return x * s[:, :, None, None]


class ResidualAttention(nn.Module):
    """Residual attention: H = (1 + M(x)) * F(x) (Wang et al. 2017).

    The trunk F is two 3x3 convolutions; the soft mask branch downsamples,
    convolves and upsamples to S (N, C, H, W), then normalises it by ``mask``:
    "mixed" sigmoid(S) per element; "channel" S / ||S|| over the channels at each
    position; "spatial" sigmoid of S standardised within each channel's map.
    ``residual=False`` gives H = M * F, the form that shrinks through a stack.
    """

    def __init__(self, channels, mask="mixed", residual=True):
        super().__init__()
        check_positive("ResidualAttention", "channels", channels, integer=True)
        self.mask = check_choice("ResidualAttention", "mask", mask,
                                 ("mixed", "channel", "spatial"))
        self.residual = residual
        c = channels
        self.trunk = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.ReLU(),
                                   nn.Conv2d(c, c, 3, padding=1), nn.ReLU())
        self.soft = nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(c, c, 3, padding=1),
                                  nn.ReLU(), nn.Conv2d(c, c, 1))
        self.m = None                               # the last batch's mask

    def forward(self, x):
        f = self.trunk(x)
        s = F.interpolate(self.soft(x), size=x.shape[-2:], mode="bilinear",
                          align_corners=False)
        if self.mask == "mixed":
            m = torch.sigmoid(s)
        elif self.mask == "channel":
            m = s / (s.norm(dim=1, keepdim=True) + 1e-6)
        else:
            mu = s.mean(dim=(2, 3), keepdim=True)
            sd = s.std(dim=(2, 3), keepdim=True) + 1e-6
            m = torch.sigmoid((s - mu) / sd)
        self.m = m.detach()
        return (1 + m) * f if self.residual else m * f


class GlimpseSensor(nn.Module):
    """Multi-resolution patches around a location (Mnih et al. 2014).

    Patch k is (size * 2^k) pixels wide, centred at ``loc``, sampled at one point a
    pixel and averaged down to size x size: fine detail at the centre, coarse context
    around it. Differentiable in ``loc`` (a soft glimpse); a hard glimpse samples
    ``loc`` and trains the policy with REINFORCE.

    Args:
        size: g, the patch side in pixels at the finest scale; scales: how many.
    Shape:
        x (N, C, H, W), loc (N, 2) as (x, y) in [-1, 1] -> (N, scales, C, g, g).
    """

    def __init__(self, size, scales=3):
        super().__init__()
        check_positive("GlimpseSensor", "size", size, integer=True)
        check_positive("GlimpseSensor", "scales", scales, integer=True)
        self.size, self.scales = size, scales

    def forward(self, x, loc):
        N, C, H, W = x.shape
        if tuple(loc.shape) != (N, 2):
            raise ValueError(f"GlimpseSensor: loc must have shape (N, 2) = ({N}, 2), "
                             f"got {tuple(loc.shape)}")
        patches = []
        for k in range(self.scales):
            side = self.size * 2 ** k
            zeros = torch.zeros(N, device=x.device, dtype=x.dtype)
            theta = torch.stack([
                torch.stack([zeros + side / W, zeros, loc[:, 0]], dim=1),
                torch.stack([zeros, zeros + side / H, loc[:, 1]], dim=1)], dim=1)
            grid = F.affine_grid(theta, (N, C, side, side), align_corners=False)
            patch = F.grid_sample(x, grid, align_corners=False)    # 1 sample a pixel
            patches.append(F.avg_pool2d(patch, 2 ** k) if k else patch)
        return torch.stack(patches, dim=1)


class Seq2Seq(nn.Module):
    """GRU encoder-decoder for token sequences, with optional attention.

    The decoder reads the previous target token (teacher forcing: in parallel
    over time); at step t its state s_t attends over the encoder states h_1..h_T
    (Luong-style, after the GRU), and a linear layer reads [s_t; c_t].
    ``attention="none"`` has only the encoder's final state as its memory.

    Args:
        vocab: token count (0 is the start token); hidden: GRU width;
        attention: "none", "dot" (s^T h / sqrt(hidden)) or "additive"
            (v^T tanh(W_q s + W_k h)).
    """

    def __init__(self, vocab, hidden=64, attention="additive"):
        super().__init__()
        check_positive("Seq2Seq", "vocab", vocab, integer=True)
        check_positive("Seq2Seq", "hidden", hidden, integer=True)
        self.attention = check_choice("Seq2Seq", "attention", attention,
                                      ("none", "dot", "additive"))
        self.embed = nn.Embedding(vocab, hidden)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.decoder = nn.GRU(hidden, hidden, batch_first=True)
        if attention == "additive":
            self.W_q = nn.Linear(hidden, hidden, bias=False)
            self.W_k = nn.Linear(hidden, hidden, bias=False)
            self.w_v = nn.Linear(hidden, 1, bias=False)
        width = hidden if attention == "none" else 2 * hidden
        self.out = nn.Linear(width, vocab)
        self.weights = None                         # the last batch's attention maps

    def forward(self, src, tgt_in):
        """src (N, T) tokens, tgt_in (N, T') previous targets -> logits (N, V, T')."""
        enc, h = self.encoder(self.embed(src))      # (N, T, H), (1, N, H)
        dec, _ = self.decoder(self.embed(tgt_in), h)
        if self.attention == "none":
            return self.out(dec).transpose(1, 2)
        if self.attention == "dot":
            scores = dec @ enc.transpose(1, 2) / math.sqrt(enc.shape[-1])
        else:
            scores = self.w_v(torch.tanh(self.W_q(dec)[:, :, None]
                                         + self.W_k(enc)[:, None])).squeeze(-1)
        weights = scores.softmax(dim=-1)            # (N, T', T)
        self.weights = weights.detach()
        context = weights @ enc
        return self.out(torch.cat([dec, context], dim=-1)).transpose(1, 2)

    @torch.no_grad()
    def generate(self, src, length, start=0):
        """Greedy decoding: feed back its own predictions; returns (N, length)."""
        tokens = torch.full((src.shape[0], 1), start, dtype=torch.long,
                            device=src.device)
        for _ in range(length):                     # re-runs the prefix: short seqs
            logits = self(src, tokens)
            tokens = torch.cat([tokens, logits[:, :, -1].argmax(1, keepdim=True)], 1)
        return tokens[:, 1:]
