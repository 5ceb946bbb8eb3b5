"""A tiny scalar reverse-mode automatic differentiation engine.

Every operation on :class:`Value` records its inputs and the local derivative
with respect to each, building a computational graph. ``backward()`` sorts the
graph topologically and applies the chain rule once per node, from the output
back to the inputs: a node used several times receives the sum of its paths'
contributions, and each call adds one full gradient to ``.grad`` (like torch),
so ``zero_grad()`` before a second ``backward()`` gives the same gradients again.
"""
import math
import numbers

__all__ = ["Value"]


class Value:
    """A scalar in a computational graph, with the gradient backward() puts in it.

    Args:
        data: a real number.
    """

    __slots__ = ("data", "grad", "_prev", "_local", "op")

    def __init__(self, data, _prev=(), _local=(), op=""):
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value: data must be a real number, "
                            f"got {data!r} ({type(data).__name__})")
        self.data = float(data)
        self.grad = 0.0
        self._prev = _prev      # input nodes
        self._local = _local    # d self / d input, one per input
        self.op = op

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    @staticmethod
    def _wrap(other, op):
        if isinstance(other, Value):
            return other
        if isinstance(other, bool) or not isinstance(other, numbers.Real):
            raise TypeError(f"Value.{op}: expected a Value or a real number, "
                            f"got {type(other).__name__}")
        return Value(other)

    def __add__(self, other):
        other = self._wrap(other, "__add__")
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = self._wrap(other, "__mul__")
        return Value(self.data * other.data, (self, other), (other.data, self.data),
                     "*")

    def __pow__(self, k):
        if isinstance(k, bool) or not isinstance(k, numbers.Real):
            raise TypeError(f"Value.__pow__: exponent must be a real number, "
                            f"got {type(k).__name__}")
        return Value(self.data ** k, (self,), (k * self.data ** (k - 1),), f"**{k}")

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (e,), "exp")

    def log(self):
        if self.data <= 0:
            raise ValueError(f"Value.log: expected a positive value, got {self.data}")
        return Value(math.log(self.data), (self,), (1.0 / self.data,), "log")

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self):
        pos = self.data > 0
        return Value(self.data if pos else 0.0, (self,), (1.0 if pos else 0.0,), "relu")

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._wrap(other, "__sub__"))

    def __truediv__(self, other):
        return self * self._wrap(other, "__truediv__") ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._wrap(other, "__rsub__") - self

    def __rtruediv__(self, other):
        return self._wrap(other, "__rtruediv__") / self

    def _topo(self):
        """Nodes of the graph below self, each after all of its inputs."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:                            # iterative DFS: deep graphs are fine
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._prev if id(p) not in seen)
        return order

    def backward(self):
        """Add d self / d node to ``node.grad`` for every node of the graph."""
        order = self._topo()
        g = {id(self): 1.0}
        for node in reversed(order):            # outputs before inputs
            gn = g.get(id(node), 0.0)
            for p, local in zip(node._prev, node._local):
                g[id(p)] = g.get(id(p), 0.0) + local * gn
        for node in order:
            node.grad += g.get(id(node), 0.0)

    def zero_grad(self):
        """Set ``.grad`` to 0 on every node of the graph below self."""
        for node in self._topo():
            node.grad = 0.0
