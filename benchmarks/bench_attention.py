"""Our NumPy attention forward+backward against torch's on CPU, float32.

Scaled dot-product attention (torch's fused kernel), multi-head attention
(``F.multi_head_attention_forward``) and the bilinear sampler (``F.grid_sample``).
"""
import numpy as np
import torch
import torch.nn.functional as F

from dlnotes import ref


def _ours(forward, backward, arrays, **hp):
    out = forward(*arrays, **hp)
    dout = np.ones_like(out[0])

    def run():
        result = forward(*arrays, **hp)
        backward(dout, result[-1])
    return run


def _theirs(fn, arrays, **hp):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors, **hp)
    dout = torch.ones_like(out)

    def run():
        torch.autograd.grad(fn(*tensors, **hp), tensors, dout)
    return run


def _mha_torch(q, k, v, w_in, b_in, w_out, b_out):
    return F.multi_head_attention_forward(
        q, k, v, q.shape[-1], 8, w_in, b_in, None, None, False, 0.0, w_out, b_out,
        training=False, need_weights=False)[0]


def cases():
    rng = np.random.default_rng(0)

    def draw(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    for L in (128, 512):
        qkv = [draw(8, 4, L, 32) for _ in range(3)]
        yield (f"sdpa fwd+bwd (8,4,{L},32) causal",
               _ours(ref.scaled_dot_product_attention_forward,
                     ref.scaled_dot_product_attention_backward, qkv, causal=True),
               _theirs(lambda q, k, v: F.scaled_dot_product_attention(
                   q, k, v, is_causal=True), qkv))
    E = 128
    mha = [draw(64, 16, E), draw(64, 16, E), draw(64, 16, E), draw(3 * E, E) * 0.1,
           draw(3 * E), draw(E, E) * 0.1, draw(E)]
    yield ("mha fwd+bwd L=S=64 N=16 E=128 h=8",
           _ours(ref.multi_head_attention_forward, ref.multi_head_attention_backward,
                 mha, num_heads=8),
           _theirs(_mha_torch, mha))
    x = draw(16, 8, 32, 32)
    grid = rng.uniform(-1, 1, (16, 32, 32, 2)).astype(np.float32)
    yield ("grid_sample fwd+bwd (16,8,32,32)",
           _ours(ref.grid_sample_forward, ref.grid_sample_backward, [x, grid]),
           _theirs(lambda x, g: F.grid_sample(x, g, align_corners=False), [x, grid]))
