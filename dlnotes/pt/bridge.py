"""The bridge between the book's two halves: a NumPy pair as a torch op.

``ref_function(forward, backward)`` wraps a ``dlnotes.ref`` pair
(``forward(*arrays, **hp) -> (out, cache, ...)``, ``backward(dout, cache) ->
grads``) in a ``torch.autograd.Function``: torch calls our NumPy forward, keeps
its cache, and asks our NumPy backward for the gradients during
``loss.backward()``. ``torch.autograd.gradcheck`` then tests our backward with
torch's own finite differences, and the op can sit inside any torch model.
"""
import numpy as np
import torch

__all__ = ["ref_function"]


def ref_function(forward, backward, *, name=None):
    """A torch function ``f(*tensors, **hp)`` computed by a NumPy forward/backward pair.

    Args:
        forward, backward: a ``dlnotes.ref`` pair; the backward returns the
            gradients of the first ``len(grads)`` array arguments, in order.
        name: the function's name in error messages (default: forward's name
            without ``_forward``).
    Returns:
        f: takes tensors (``None`` allowed, e.g. no bias) and keyword
        hyperparameters; returns a tensor on the inputs' device and dtype.
    """
    if not (callable(forward) and callable(backward)):
        raise TypeError(f"ref_function: forward and backward must be callable, got "
                        f"{type(forward).__name__} and {type(backward).__name__}")
    name = name or getattr(forward, "__name__", "ref").removesuffix("_forward")

    class RefFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, hp, *tensors):
            first = next((t for t in tensors if t is not None), None)
            if first is None:
                raise ValueError(f"{name}: expected at least one tensor, got none")
            arrays = [None if t is None else t.detach().cpu().numpy() for t in tensors]
            out, cache = forward(*arrays, **hp)[:2]
            ctx.cache, ctx.n_inputs = cache, len(tensors)
            return torch.as_tensor(np.asarray(out), dtype=first.dtype, device=first.device)

        @staticmethod
        def backward(ctx, dout):
            grads = backward(dout.detach().cpu().numpy(), ctx.cache)
            grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
            grads += [None] * (ctx.n_inputs - len(grads))
            as_tensor = [None if g is None else
                         torch.as_tensor(np.asarray(g), dtype=dout.dtype, device=dout.device)
                         for g in grads]
            return (None, *as_tensor)             # no gradient for the hyperparameters

    def f(*tensors, **hp):
        for i, t in enumerate(tensors):
            if t is not None and not torch.is_tensor(t):
                raise TypeError(f"{name}: argument {i} must be a tensor or None, "
                                f"got {type(t).__name__}")
        return RefFunction.apply(hp, *tensors)

    f.__name__ = name
    f.__doc__ = f"torch op running dlnotes.ref {name} (forward and backward in NumPy)."
    return f
