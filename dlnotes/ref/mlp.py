"""A multilayer perceptron in NumPy with a hand-written backward pass.

Backpropagation is the chain rule organised as dynamic programming: the error
signal delta^l = dJ/dz^l of layer l is computed once, from the layer above,
delta^l = (delta^{l+1} W^{l+1}) * f'(z^l), and reused for that layer's gradients
dJ/dW^l = delta^l^T a^{l-1}, dJ/db^l = sum over the batch of delta^l (rows are
samples, so the transposes sit where numpy's batched layout puts them).
"""
import numpy as np

from .._validate import check_array, check_choice, check_layer_sizes, check_positive
from .activations import ACTIVATIONS
from .init import kaiming_uniform
from .linear import linear_backward, linear_forward
from .losses import (cross_entropy_backward, cross_entropy_forward, mse_backward,
                     mse_forward)
from .optim import sgd_step

__all__ = ["MLP", "train_mlp", "layer_gradients"]

LOSSES = {"cross_entropy": (cross_entropy_forward, cross_entropy_backward),
          "mse": (mse_forward, mse_backward)}


class MLP:
    """Linear -> activation -> ... -> Linear; the last layer has no activation.

    Args:
        sizes: layer widths [D_in, H_1, ..., D_out], at least two.
        activation: a name in ``ref.ACTIVATIONS`` ("relu", "tanh", "sigmoid", ...).
        rng: seed or Generator for the initial weights, drawn as torch.nn.Linear
            does (uniform, bound 1/sqrt(fan_in)).
        init: optional initialiser ``init(shape, rng=rng)`` for the weights (e.g.
            ``ref.xavier_normal``); the biases then start at zero.
    Attributes:
        weights: list of (D_out, D_in) arrays; biases: list of (D_out,) arrays.
        deltas: after ``backward``, dJ/dz for each layer (z = the linear output).
    """

    def __init__(self, sizes, activation="relu", *, rng=None, init=None):
        check_layer_sizes("MLP", sizes)
        check_choice("MLP", "activation", activation, tuple(ACTIVATIONS))
        self.sizes, self.activation = list(sizes), activation
        self._f, self._df = ACTIVATIONS[activation]
        rng = np.random.default_rng(rng) if not isinstance(
            rng, np.random.Generator) else rng
        self.weights, self.biases = [], []
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
            if init is not None:
                self.weights.append(np.asarray(init((d_out, d_in), rng=rng), float))
                self.biases.append(np.zeros(d_out))
                continue
            # torch.nn.Linear's default: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(d_in))
            self.weights.append(kaiming_uniform((d_out, d_in), a=np.sqrt(5), rng=rng))
            bound = 1 / np.sqrt(d_in)
            self.biases.append(rng.uniform(-bound, bound, size=d_out))
        self.deltas = []
        self._caches = None

    @property
    def params(self):
        """[W_1, b_1, W_2, b_2, ...], the arrays gradient descent updates."""
        return [p for wb in zip(self.weights, self.biases) for p in wb]

    def forward(self, x):
        """(N, D_in) -> (N, D_out) scores; keeps what backward needs."""
        check_array("MLP.forward", "x", x, ndim=2, floating=True,
                    shape=(None, self.sizes[0]), what=f"(N, {self.sizes[0]})")
        self._caches = []
        a = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z, lin_cache = linear_forward(a, w, b)
            act_cache = None
            a = z
            if i < last:
                a, act_cache = self._f(z)
            self._caches.append((lin_cache, act_cache))
        return a

    __call__ = forward

    def backward(self, dout):
        """Backpropagate dJ/dout, (N, D_out); returns [dW_1, db_1, dW_2, db_2, ...]
        in the order of ``params`` and stores the per-layer deltas."""
        if self._caches is None:
            raise ValueError("MLP.backward: call forward first, got no stored forward")
        check_array("MLP.backward", "dout", dout, ndim=2, floating=True,
                    what=f"(N, {self.sizes[-1]})")
        grads, deltas = [], []
        delta = dout                                    # last layer: no activation
        for i in reversed(range(len(self.weights))):
            lin_cache, act_cache = self._caches[i]
            if act_cache is not None:
                delta = self._df(delta, act_cache)      # * f'(z^l)
            deltas.append(delta)
            da, dw, db = linear_backward(delta, lin_cache)
            grads = [dw, db] + grads
            delta = da                                  # delta^{l+1} W^{l+1}
        self.deltas = deltas[::-1]
        return grads


def train_mlp(mlp, X, y, *, epochs, loss="cross_entropy", rule=sgd_step, batch_size=None,
              rng=None, **hp):
    """Train ``mlp`` in place with an update rule of ``ref.optim``; returns the losses.

    Each step: forward, the loss's backward with dout = 1, ``mlp.backward``, then
    ``rule(param, grad, state, **hp)`` for every parameter (its state kept per
    parameter, as torch.optim does).

    Args:
        mlp: a ``ref.MLP``.
        X: (N, D_in) float inputs; y: (N,) labels for "cross_entropy", or targets
            shaped like the output for "mse".
        epochs: passes over the data; full batch (one step an epoch) by default.
        loss: "cross_entropy" or "mse".
        rule: e.g. ``ref.sgd_step`` (default) or ``ref.adam_step``.
        batch_size: mini-batch size, shuffled each epoch with ``rng``.
        rng: seed or Generator for the shuffling.
        **hp: the rule's hyperparameters (``lr=...``).
    Returns:
        (epochs,) float64 array: the mean training loss of each epoch, measured
        on the batches before their steps.
    """
    check_choice("train_mlp", "loss", loss, tuple(LOSSES))
    check_positive("train_mlp", "epochs", epochs, integer=True)
    if batch_size is not None:
        check_positive("train_mlp", "batch_size", batch_size, integer=True)
    forward, backward = LOSSES[loss]
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    states = [{} for _ in mlp.params]
    n = len(X)
    history = []
    for _ in range(epochs):
        order = np.arange(n) if batch_size is None else rng.permutation(n)
        size = n if batch_size is None else batch_size
        total = 0.0
        for start in range(0, n, size):
            idx = order[start:start + size]
            value, cache = forward(mlp.forward(X[idx]), y[idx])
            grads = mlp.backward(backward(1.0, cache))
            for i, (p, g) in enumerate(zip(mlp.params, grads)):
                new, states[i] = rule(p, g, states[i], **hp)
                p[...] = new                    # in place: params are the arrays of mlp
            total += value * len(idx)
        history.append(total / n)
    return np.array(history)


def layer_gradients(mlp, X, y, *, loss="cross_entropy"):
    """One forward and backward pass; the size of each layer's gradients.

    Returns:
        dict of (L,) float64 arrays, layer 1 first: ``"delta"`` the Frobenius norm
        of the back-propagated error delta^l = dJ/dz^l (the batch's rows), ``"dW"``
        that of dJ/dW^l = (delta^l)^T a^{l-1}, and ``"a"`` that of the layer's
        input a^{l-1}.
    """
    check_choice("layer_gradients", "loss", loss, tuple(LOSSES))
    forward, backward = LOSSES[loss]
    _, cache = forward(mlp.forward(X), y)
    grads = mlp.backward(backward(1.0, cache))
    inputs = [lin_cache[0] for lin_cache, _ in mlp._caches]
    return {"delta": np.array([np.linalg.norm(d) for d in mlp.deltas]),
            "dW": np.array([np.linalg.norm(g) for g in grads[0::2]]),
            "a": np.array([np.linalg.norm(a) for a in inputs])}
