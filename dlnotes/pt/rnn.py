"""Recurrent layers written step by step in PyTorch, and the chapter's two models.

``RNN``, ``LSTM`` and ``GRU`` loop over time in Python (the cell equations in
plain sight) and take torch.nn's arguments and parameter names
(``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), so a built-in's ``state_dict``
loads and the outputs match. They are for reading and checking; training uses
the fused built-ins, which compute the same function faster.
``CharLM`` (a character-level language model) and ``Forecaster`` (one step ahead
on a window of a series) are the models the notebook trains.
"""
import math

import torch
from torch import nn

from .._validate import check_array, check_choice, check_positive

__all__ = ["RNN", "LSTM", "GRU", "CharLM", "Forecaster"]


def _rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity):
    a = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    return torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)


def _lstm_cell(x, state, w_ih, w_hh, b_ih, b_hh):
    h, c = state
    i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def _gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    i_r, i_z, i_n = (x @ w_ih.T + b_ih).chunk(3, 1)
    h_r, h_z, h_n = (h @ w_hh.T + b_hh).chunk(3, 1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


class _Recurrent(nn.Module):
    """Shared by RNN, LSTM, GRU: parameters, initial states, layers, directions."""
    gates = 1

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, bidirectional=False):
        super().__init__()
        name = type(self).__name__
        for arg, v in (("input_size", input_size), ("hidden_size", hidden_size),
                       ("num_layers", num_layers)):
            check_positive(name, arg, v, integer=True)
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias = num_layers, bias
        self.batch_first, self.bidirectional = batch_first, bidirectional
        dirs = 2 if bidirectional else 1
        G, H = self.gates, hidden_size
        for layer in range(num_layers):
            D = input_size if layer == 0 else H * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                self.register_parameter("weight_ih" + sfx,
                                        nn.Parameter(torch.empty(G * H, D)))
                self.register_parameter("weight_hh" + sfx,
                                        nn.Parameter(torch.empty(G * H, H)))
                if bias:
                    self.register_parameter("bias_ih" + sfx,
                                            nn.Parameter(torch.empty(G * H)))
                    self.register_parameter("bias_hh" + sfx,
                                            nn.Parameter(torch.empty(G * H)))
        self.reset_parameters()

    def reset_parameters(self):
        """U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias, as torch.nn."""
        bound = 1 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        w_ih, w_hh = getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx)
        if self.bias:
            return w_ih, w_hh, getattr(self, "bias_ih" + sfx), getattr(self,
                                                                       "bias_hh" + sfx)
        zero = w_ih.new_zeros(w_ih.shape[0])
        return w_ih, w_hh, zero, zero

    def _step(self, x, state, *weights):
        raise NotImplementedError

    def forward(self, x, hx=None):
        """x: (T, N, D), or (N, T, D) with batch_first. hx: (L*dirs, N, H) (a pair
        (h0, c0) for the LSTM) or None. Returns output (T, N, dirs*H) and h_n
        (or (h_n, c_n)), exactly as torch.nn."""
        name = type(self).__name__
        check_array(name, "x", x, ndim=3, what="(T, N, D)")
        if x.shape[2] != self.input_size:
            raise ValueError(f"{name}: x must have input_size = {self.input_size} "
                             f"features, got shape {tuple(x.shape)}")
        if self.batch_first:
            x = x.transpose(0, 1)
        dirs = 2 if self.bidirectional else 1
        shape = (self.num_layers * dirs, x.shape[1], self.hidden_size)
        lstm = isinstance(self, LSTM)
        if hx is None:
            zeros = x.new_zeros(shape)
            hx = (zeros, zeros) if lstm else zeros
        for s in (hx if lstm else (hx,)):
            if tuple(s.shape) != shape:
                raise ValueError(f"{name}: the initial state must have shape "
                                 f"(num_layers*dirs, N, H) = {shape}, got "
                                 f"{tuple(s.shape)}")
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                state = (hx[0][k], hx[1][k]) if lstm else hx[k]
                steps = range(len(x) - 1, -1, -1) if d else range(len(x))
                seq = [None] * len(x)
                for t in steps:
                    state = self._step(x[t], state, *self._weights(layer, d))
                    seq[t] = state[0] if lstm else state
                outs.append(torch.stack(seq))
                finals.append(state)
            x = torch.cat(outs, 2)
        out = x.transpose(0, 1) if self.batch_first else x
        if lstm:
            return out, (torch.stack([s[0] for s in finals]),
                         torch.stack([s[1] for s in finals]))
        return out, torch.stack(finals)


class RNN(_Recurrent):
    """Elman RNN h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), f tanh or relu."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh",
                 bias=True, batch_first=False, bidirectional=False):
        check_choice("RNN", "nonlinearity", nonlinearity, ("tanh", "relu"))
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first,
                         bidirectional)

    def _step(self, x, h, *weights):
        return _rnn_cell(x, h, *weights, self.nonlinearity)


class LSTM(_Recurrent):
    """LSTM with torch.nn's gate order i, f, g, o and two biases."""
    gates = 4

    def _step(self, x, state, *weights):
        return _lstm_cell(x, state, *weights)


class GRU(_Recurrent):
    """GRU in torch.nn's variant (gates r, z, n; reset applied after W_hn h + b_hn)."""
    gates = 3

    def _step(self, x, h, *weights):
        return _gru_cell(x, h, *weights)


_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class CharLM(nn.Module):
    """Character-level language model: embedding -> recurrent layer -> logits.

    Input (N, T) character ids, output (N, T, vocab_size) logits of the next
    character at every position (batch first). ``cell`` is "rnn", "lstm" or "gru"
    (torch.nn's fused layers).
    """

    def __init__(self, vocab_size, *, embed=32, hidden=128, cell="gru"):
        super().__init__()
        check_positive("CharLM", "vocab_size", vocab_size, integer=True)
        check_choice("CharLM", "cell", cell, tuple(_CELLS))
        self.embed = nn.Embedding(vocab_size, embed)
        self.rnn = _CELLS[cell](embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        out, state = self.rnn(self.embed(x), state)
        self.state = state          # for sampling one character at a time
        return self.head(out)


class Forecaster(nn.Module):
    """One step ahead: a window (N, T, 1) -> the next value (N,), read from the
    last hidden state of a recurrent layer."""

    def __init__(self, *, hidden=32, cell="gru"):
        super().__init__()
        check_choice("Forecaster", "cell", cell, tuple(_CELLS))
        self.rnn = _CELLS[cell](1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(1)
