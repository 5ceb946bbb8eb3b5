"""Optimisers as ``torch.optim.Optimizer`` subclasses.

Argument names, defaults, validation messages and state keys follow torch.optim;
each ``step`` mirrors the NumPy rule of the same name in ``dlnotes.ref.optim``
line by line, written with in-place tensor ops. One tensor at a time (torch's
``foreach=False`` path); the step count is a Python int (a state_dict saved by
torch.optim, whose step is a tensor, loads and continues).
"""
import torch

__all__ = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam",
           "stochastic_problem", "run_optimizer"]


def _check(ok, what, value):
    if not ok:
        raise ValueError(f"Invalid {what}: {value}")


def _check_common(lr, eps, weight_decay):
    _check(0.0 <= lr, "learning rate", lr)
    _check(0.0 <= eps, "epsilon value", eps)
    _check(0.0 <= weight_decay, "weight_decay value", weight_decay)


def _zeros(p):
    return torch.zeros_like(p, memory_format=torch.preserve_format)


def _check_betas(betas):
    for i, beta in enumerate(betas):
        _check(0.0 <= beta < 1.0, f"beta parameter at index {i}", beta)


class _Optimizer(torch.optim.Optimizer):
    """Shared plumbing: the closure and the loop over parameters that have a grad."""

    @torch.no_grad()
    def step(self, closure=None):
        """One update; the optional ``closure`` re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support "
                                       "sparse gradients")
                grad = -p.grad if maximize else p.grad
                self._update(p, grad, self.state[p], group)
        return loss

    def _update(self, p, grad, state, group):
        raise NotImplementedError


class SGD(_Optimizer):
    """SGD with optional (Nesterov) momentum, as torch.optim.SGD.

    Mirrors ``ref.sgd_step``, ``ref.momentum_step`` and ``ref.nesterov_step``.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        _check(0.0 <= lr, "learning rate", lr)
        _check(0.0 <= momentum, "momentum value", momentum)
        _check(0.0 <= weight_decay, "weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd != 0:
            grad = grad.add(p, alpha=wd)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        p.add_(grad, alpha=-lr)


class Adagrad(_Optimizer):
    """AdaGrad, as torch.optim.Adagrad; mirrors ``ref.adagrad_step``."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        _check_common(lr, eps, weight_decay)
        _check(0.0 <= lr_decay, "lr_decay value", lr_decay)
        _check(0.0 <= initial_accumulator_value, "initial_accumulator_value value",
               initial_accumulator_value)
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = torch.full_like(p, group["initial_accumulator_value"],
                                           memory_format=torch.preserve_format)
        state["step"] = step = int(state["step"]) + 1
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state["sum"].addcmul_(grad, grad)
        std = state["sum"].sqrt().add_(group["eps"])
        p.addcdiv_(grad, std, value=-clr)


class RMSprop(_Optimizer):
    """RMSProp, as torch.optim.RMSprop (``alpha`` is the decay rate);
    mirrors ``ref.rmsprop_step``."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0,
                 momentum=0, centered=False, *, maximize=False):
        _check_common(lr, eps, weight_decay)
        _check(0.0 <= momentum, "momentum value", momentum)
        _check(0.0 <= alpha, "alpha value", alpha)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = _zeros(p)
            if group["centered"]:
                state["grad_avg"] = _zeros(p)
            if momentum > 0:
                state["momentum_buffer"] = _zeros(p)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        square_avg = state["square_avg"].mul_(alpha)
        square_avg.addcmul_(grad, grad, value=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"].mul_(alpha).add_(grad, alpha=1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            avg.add_(group["eps"])
        else:
            avg = square_avg.sqrt().add_(group["eps"])
        if momentum > 0:
            buf = state["momentum_buffer"].mul_(momentum).addcdiv_(grad, avg)
            p.add_(buf, alpha=-group["lr"])
        else:
            p.addcdiv_(grad, avg, value=-group["lr"])


class Adadelta(_Optimizer):
    """AdaDelta, as torch.optim.Adadelta; mirrors ``ref.adadelta_step``."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *,
                 maximize=False):
        _check(0.0 <= lr, "learning rate", lr)
        _check(0.0 <= rho <= 1.0, "rho value", rho)
        _check(0.0 <= eps, "epsilon value", eps)
        _check(0.0 <= weight_decay, "weight_decay value", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = _zeros(p)
            state["acc_delta"] = _zeros(p)
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        square_avg = state["square_avg"].mul_(rho).addcmul_(grad, grad, value=1 - rho)
        acc_delta = state["acc_delta"]
        delta = acc_delta.add(eps).sqrt_().div_(square_avg.add(eps).sqrt_()).mul_(grad)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        p.add_(delta, alpha=-group["lr"])


class Adam(_Optimizer):
    """Adam with bias correction and optional AMSGrad, as torch.optim.Adam;
    mirrors ``ref.adam_step`` (``decoupled_weight_decay=True`` is AdamW)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        _check_common(lr, eps, weight_decay)
        _check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        lr, wd = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = _zeros(p)
            state["exp_avg_sq"] = _zeros(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _zeros(p)
        state["step"] = step = int(state["step"]) + 1
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * wd)                                   # AdamW
            else:
                grad = grad.add(p, alpha=wd)                          # L2
        exp_avg = state["exp_avg"].mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq = state["exp_avg_sq"].mul_(beta2)
        exp_avg_sq.addcmul_(grad, grad, value=1 - beta2)
        if group["amsgrad"]:
            exp_avg_sq = torch.maximum(state["max_exp_avg_sq"], exp_avg_sq,
                                       out=state["max_exp_avg_sq"])
        # lr * m_hat / (sqrt(v_hat) + eps), with m_hat's 1 / (1 - b1^t) in the scalar
        denom = exp_avg_sq.div(1 - beta2 ** step).sqrt_().add_(group["eps"])
        p.addcdiv_(exp_avg, denom, value=-lr / (1 - beta1 ** step))


class AdamW(Adam):
    """Adam with decoupled weight decay, as torch.optim.AdamW;
    mirrors ``ref.adamw_step``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         maximize=maximize, decoupled_weight_decay=True)


class Adamax(_Optimizer):
    """AdaMax (Adam with the infinity norm), as torch.optim.Adamax;
    mirrors ``ref.adamax_step``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        _check_common(lr, eps, weight_decay)
        _check_betas(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = _zeros(p)
            state["exp_inf"] = _zeros(p)
        state["step"] = step = int(state["step"]) + 1
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        exp_avg = state["exp_avg"].mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_inf = state["exp_inf"]
        torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(group["eps"]), out=exp_inf)
        clr = group["lr"] / (1 - beta1 ** step)
        p.addcdiv_(exp_avg, exp_inf, value=-clr)


class NAdam(_Optimizer):
    """Nadam (Adam with Nesterov momentum), as torch.optim.NAdam;
    mirrors ``ref.nadam_step``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        _check_common(lr, eps, weight_decay)
        _check_betas(betas)
        _check(0.0 <= momentum_decay, "momentum_decay value", momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        lr, wd, md = group["lr"], group["weight_decay"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = _zeros(p)
            state["exp_avg_sq"] = _zeros(p)
        state["step"] = step = int(state["step"]) + 1
        bias_correction2 = 1 - beta2 ** step
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * wd)
            else:
                grad = grad.add(p, alpha=wd)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * md))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * md))
        state["mu_product"] = mu_product = float(state["mu_product"]) * mu
        exp_avg = state["exp_avg"].mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq = state["exp_avg_sq"].mul_(beta2)
        exp_avg_sq.addcmul_(grad, grad, value=1 - beta2)
        denom = exp_avg_sq.div(bias_correction2).sqrt_().add_(group["eps"])
        p.addcdiv_(grad, denom, value=-lr * (1 - mu) / (1 - mu_product))
        p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1 - mu_product * mu_next))


def stochastic_problem(seed=0):
    """A small float64 problem on which to compare optimisers step for step.

    Returns:
        (params, loss): the initial parameters [W (5, 3), b (3,)] and
        ``loss(params, t)``, a tanh regression on the t-th of 100 fixed
        mini-batches (plus a quartic penalty, so the curvature varies).
    """
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(100, 6, 5, generator=g, dtype=torch.float64)
    Y = torch.randn(100, 6, 3, generator=g, dtype=torch.float64)
    W0 = torch.randn(5, 3, generator=g, dtype=torch.float64)
    b0 = torch.randn(3, generator=g, dtype=torch.float64)

    def loss(params, t):                    # a new mini-batch every step
        W, b = params
        return ((torch.tanh(X[t] @ W + b) - Y[t]) ** 2).mean() + 0.01 * (W ** 4).sum()
    return [W0, b0], loss


def run_optimizer(cls, hp, steps=100, seed=0):
    """Run optimiser class ``cls(params, **hp)`` on :func:`stochastic_problem`.

    Returns:
        (params, optimizer) after ``steps`` steps (at most 100, one per batch).
    """
    if not 0 <= steps <= 100:
        raise ValueError(f"run_optimizer: steps must be in 0..100, got {steps!r}")
    init, loss = stochastic_problem(seed)
    params = [p.clone().requires_grad_() for p in init]
    opt = cls(params, **hp)
    for t in range(steps):
        opt.zero_grad()
        loss(params, t).backward()
        opt.step()
    return params, opt
