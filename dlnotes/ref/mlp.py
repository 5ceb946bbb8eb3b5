"""A multilayer perceptron in NumPy with a hand-written backward pass.

Backpropagation is the chain rule organised as dynamic programming: the error
signal delta^l = dJ/dz^l of layer l is computed once, from the layer above,
delta^l = (delta^{l+1} W^{l+1}) * f'(z^l), and reused for that layer's gradients
dJ/dW^l = delta^l^T a^{l-1}, dJ/db^l = sum over the batch of delta^l (rows are
samples, so the transposes sit where numpy's batched layout puts them).
"""
import numpy as np

from .._validate import check_array, check_choice, check_layer_sizes
from .activations import ACTIVATIONS
from .init import kaiming_uniform
from .linear import linear_backward, linear_forward

__all__ = ["MLP"]


class MLP:
    """Linear -> activation -> ... -> Linear; the last layer has no activation.

    Args:
        sizes: layer widths [D_in, H_1, ..., D_out], at least two.
        activation: a name in ``ref.ACTIVATIONS`` ("relu", "tanh", "sigmoid", ...).
        rng: seed or Generator for the initial weights, drawn as torch.nn.Linear
            does (uniform, bound 1/sqrt(fan_in)).
    Attributes:
        weights: list of (D_out, D_in) arrays; biases: list of (D_out,) arrays.
        deltas: after ``backward``, dJ/dz for each layer (z = the linear output).
    """

    def __init__(self, sizes, activation="relu", *, rng=None):
        check_layer_sizes("MLP", sizes)
        check_choice("MLP", "activation", activation, tuple(ACTIVATIONS))
        self.sizes, self.activation = list(sizes), activation
        self._f, self._df = ACTIVATIONS[activation]
        rng = np.random.default_rng(rng) if not isinstance(
            rng, np.random.Generator) else rng
        self.weights, self.biases = [], []
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
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
