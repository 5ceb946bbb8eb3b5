"""The multilayer perceptron as a torch.nn.Module."""
from torch import nn

from .._validate import check_choice, check_layer_sizes, check_number
from .norm import BatchNorm1d, Dropout, LayerNorm

__all__ = ["MLP"]

_ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
                "leaky_relu": nn.LeakyReLU, "softplus": nn.Softplus, "elu": nn.ELU,
                "selu": nn.SELU}
_NORMS = {"batch": BatchNorm1d, "layer": LayerNorm}


class MLP(nn.Module):
    """Linear [-> norm] -> activation [-> Dropout] -> ... -> Linear (scores).

    Args:
        sizes: layer widths [D_in, H_1, ..., D_out], at least two.
        activation: one of "sigmoid", "tanh", "relu", "leaky_relu", "softplus",
            "elu", "selu" (the same names as ``ref.MLP``).
        norm: None, "batch" (``pt.BatchNorm1d``) or "layer" (``pt.LayerNorm``),
            placed after each hidden linear layer, before its activation.
        dropout: drop probability of a ``pt.Dropout`` after each hidden
            activation; 0 adds none.
    Shape:
        (N, D_in) -> (N, D_out); inputs with more dimensions are flattened
        after the first, so (N, 8, 8) images go in directly.
    """

    def __init__(self, sizes, activation="relu", *, norm=None, dropout=0.0):
        super().__init__()
        check_layer_sizes("MLP", sizes)
        check_choice("MLP", "activation", activation, tuple(_ACTIVATIONS))
        if norm is not None:
            check_choice("MLP", "norm", norm, tuple(_NORMS))
        check_number("MLP", "dropout", dropout, low=0, high=1, high_open=True)
        layers = []
        for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(d_in, d_out))
            if i < len(sizes) - 2:
                if norm is not None:
                    layers.append(_NORMS[norm](d_out))
                layers.append(_ACTIVATIONS[activation]())
                if dropout > 0:
                    layers.append(Dropout(dropout))
        self.layers = nn.Sequential(*layers)

    @property
    def linears(self):
        """The nn.Linear layers, first to last."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]

    def forward(self, x):
        return self.layers(x.flatten(1))
