"""Optimisers as pure update rules, NumPy only.

Every rule has the form ``<name>_step(param, grad, state, *, lr, ...) -> (new_param,
new_state)``. ``state`` is a dict (``{}`` before the first step) that goes in and
comes out; it is never changed in place, so a notebook can keep every state of a
run. Hyperparameter names, defaults, state keys and the order of operations follow
``torch.optim``, so ``dlnotes.pt.optim`` mirrors each rule line by line. A weight
decay ``wd`` adds ``wd * param`` to the gradient (L2), except in ``adamw_step``.
"""
import math

import numpy as np

from .._validate import check_array, check_number

__all__ = ["sgd_step", "momentum_step", "nesterov_step", "adagrad_step",
           "rmsprop_step", "adadelta_step", "adam_step", "adamw_step", "adamax_step",
           "nadam_step", "newton_step", "trajectory", "exponential_decay",
           "linear_decay", "step_decay", "warmup_cosine"]


def _nonneg(func, **values):
    for name, value in values.items():
        check_number(func, name, value, low=0)


def _beta(func, name, value):
    check_number(func, name, value, low=0, high=1, high_open=True)


def sgd_step(param, grad, state, *, lr=1e-3, weight_decay=0.0):
    """Plain (stochastic) gradient descent: p <- p - lr * g. Keeps no state."""
    _nonneg("sgd_step", lr=lr, weight_decay=weight_decay)
    if weight_decay:
        grad = grad + weight_decay * param
    return param - lr * grad, dict(state)


def momentum_step(param, grad, state, *, lr=1e-3, momentum=0.9, dampening=0.0,
                  weight_decay=0.0):
    """Heavy-ball momentum, torch's form: b <- m b + (1 - dampening) g; p <- p - lr b.

    The buffer b is the textbook velocity v = -lr * b (v <- m v - lr g, p <- p + v).
    """
    _nonneg("momentum_step", lr=lr, momentum=momentum, weight_decay=weight_decay)
    if weight_decay:
        grad = grad + weight_decay * param
    buf = state.get("momentum_buffer")
    if buf is None:
        buf = grad.copy()                       # the first step takes g as it is
    else:
        buf = momentum * buf + (1 - dampening) * grad
    return param - lr * buf, {**state, "momentum_buffer": buf}


def nesterov_step(param, grad, state, *, lr=1e-3, momentum=0.9, weight_decay=0.0):
    """Nesterov momentum, torch's form: b <- m b + g; p <- p - lr (g + m b).

    The stored parameters p are the look-ahead point phi = theta + m v of the
    textbook form v <- m v - lr grad(theta + m v), theta <- theta + v (with
    v = -lr b): the gradient passed in, taken at p, is the look-ahead gradient.
    """
    _nonneg("nesterov_step", lr=lr, momentum=momentum, weight_decay=weight_decay)
    if weight_decay:
        grad = grad + weight_decay * param
    buf = state.get("momentum_buffer")
    buf = grad.copy() if buf is None else momentum * buf + grad
    return param - lr * (grad + momentum * buf), {**state, "momentum_buffer": buf}


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
    """AdaGrad: r <- r + g^2; p <- p - lr g / (sqrt(r) + eps)."""
    _nonneg("adagrad_step", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, eps=eps)
    step = state.get("step", 0) + 1
    if weight_decay:
        grad = grad + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    total = state.get("sum", np.full_like(param, initial_accumulator_value))
    total = total + grad * grad                 # grows forever: the rate only shrinks
    std = np.sqrt(total) + eps
    return param - clr * grad / std, {**state, "step": step, "sum": total}


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8,
                 weight_decay=0.0, momentum=0.0, centered=False):
    """RMSProp: r <- alpha r + (1 - alpha) g^2; p <- p - lr g / (sqrt(r) + eps).

    ``alpha`` is the decay rate the notes call rho. ``centered`` divides by the
    standard deviation of g instead; ``momentum`` adds a heavy-ball buffer.
    """
    _nonneg("rmsprop_step", lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
            momentum=momentum)
    if weight_decay:
        grad = grad + weight_decay * param
    square_avg = alpha * state.get("square_avg", 0.0) + (1 - alpha) * grad * grad
    new = {**state, "step": state.get("step", 0) + 1, "square_avg": square_avg}
    if centered:
        grad_avg = alpha * state.get("grad_avg", 0.0) + (1 - alpha) * grad
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        new["grad_avg"] = grad_avg
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        buf = momentum * state.get("momentum_buffer", 0.0) + grad / avg
        new["momentum_buffer"] = buf
        return param - lr * buf, new
    return param - lr * grad / avg, new


def adadelta_step(param, grad, state, *, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    """AdaDelta: the step is g scaled by RMS(past steps) / RMS(past gradients).

    r <- rho r + (1 - rho) g^2;  d <- sqrt(u + eps) / sqrt(r + eps) * g;
    u <- rho u + (1 - rho) d^2;  p <- p - lr d. With lr = 1 there is no global rate.
    """
    _nonneg("adadelta_step", lr=lr, eps=eps, weight_decay=weight_decay)
    check_number("adadelta_step", "rho", rho, low=0, high=1)
    if weight_decay:
        grad = grad + weight_decay * param
    square_avg = rho * state.get("square_avg", 0.0) + (1 - rho) * grad * grad
    acc_delta = state.get("acc_delta", np.zeros_like(param))
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
    acc_delta = rho * acc_delta + (1 - rho) * delta * delta
    return param - lr * delta, {**state, "step": state.get("step", 0) + 1,
                                "square_avg": square_avg, "acc_delta": acc_delta}


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
              weight_decay=0.0, amsgrad=False):
    """Adam with bias correction (Kingma and Ba, 2015).

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t);
    p <- p - lr m_hat / (sqrt(v_hat) + eps).
    ``amsgrad`` uses the running maximum of v (AMSGrad) in place of v.
    """
    _nonneg("adam_step", lr=lr, eps=eps, weight_decay=weight_decay)
    _beta("adam_step", "betas[0]", betas[0])
    _beta("adam_step", "betas[1]", betas[1])
    beta1, beta2 = betas
    step = state.get("step", 0) + 1
    if weight_decay:
        grad = grad + weight_decay * param
    exp_avg = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
    exp_avg_sq = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad * grad
    new = {**state, "step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    if amsgrad:
        exp_avg_sq = np.maximum(state.get("max_exp_avg_sq", 0.0), exp_avg_sq)
        new["max_exp_avg_sq"] = exp_avg_sq
    m_hat = exp_avg / (1 - beta1 ** step)
    v_hat = exp_avg_sq / (1 - beta2 ** step)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), new


def adamw_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=1e-2, amsgrad=False):
    """AdamW: decoupled weight decay, p <- p (1 - lr wd), then Adam's step."""
    _nonneg("adamw_step", lr=lr, weight_decay=weight_decay)
    param = param * (1 - lr * weight_decay)
    return adam_step(param, grad, state, lr=lr, betas=betas, eps=eps, amsgrad=amsgrad)


def adamax_step(param, grad, state, *, lr=2e-3, betas=(0.9, 0.999), eps=1e-8,
                weight_decay=0.0):
    """AdaMax: Adam with the infinity norm, u <- max(b2 u, |g| + eps);
    p <- p - lr / (1 - b1^t) * m / u."""
    _nonneg("adamax_step", lr=lr, eps=eps, weight_decay=weight_decay)
    _beta("adamax_step", "betas[0]", betas[0])
    _beta("adamax_step", "betas[1]", betas[1])
    beta1, beta2 = betas
    step = state.get("step", 0) + 1
    if weight_decay:
        grad = grad + weight_decay * param
    exp_avg = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
    exp_inf = np.maximum(beta2 * state.get("exp_inf", 0.0), np.abs(grad) + eps)
    clr = lr / (1 - beta1 ** step)
    return param - clr * exp_avg / exp_inf, {**state, "step": step,
                                             "exp_avg": exp_avg, "exp_inf": exp_inf}


def nadam_step(param, grad, state, *, lr=2e-3, betas=(0.9, 0.999), eps=1e-8,
               weight_decay=0.0, momentum_decay=4e-3):
    """Nadam (Dozat, 2016): Adam whose momentum looks one step ahead, as Nesterov's.

    With a momentum schedule mu_t = b1 (1 - 0.5 * 0.96^(t * momentum_decay)):
    p <- p - lr [(1 - mu_t) g / (1 - prod mu_1..t) + mu_{t+1} m / (1 - prod mu_1..t+1)]
          / (sqrt(v_hat) + eps).
    """
    _nonneg("nadam_step", lr=lr, eps=eps, weight_decay=weight_decay,
            momentum_decay=momentum_decay)
    _beta("nadam_step", "betas[0]", betas[0])
    _beta("nadam_step", "betas[1]", betas[1])
    beta1, beta2 = betas
    step = state.get("step", 0) + 1
    bias_correction2 = 1 - beta2 ** step
    if weight_decay:
        grad = grad + weight_decay * param
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
    mu_product = state.get("mu_product", 1.0) * mu
    exp_avg = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
    exp_avg_sq = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad * grad
    denom = np.sqrt(exp_avg_sq / bias_correction2) + eps
    param = param - lr * (1 - mu) / (1 - mu_product) * grad / denom
    param = param - lr * mu_next / (1 - mu_product * mu_next) * exp_avg / denom
    return param, {**state, "step": step, "mu_product": mu_product,
                   "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}


def newton_step(grad, hessian):
    """Newton's step -H^{-1} g: the exact minimiser's offset for a quadratic.

    Args:
        grad: (D,) gradient at the current point.
        hessian: (D, D) Hessian there.
    Returns:
        (D,) the step to add to the point (solved, never an explicit inverse).
    """
    grad = check_array("newton_step", "grad", np.asarray(grad), ndim=1)
    d = grad.shape[0]
    check_array("newton_step", "hessian", np.asarray(hessian), shape=(d, d))
    return -np.linalg.solve(hessian, grad)


def trajectory(rule, grad_fn, start, steps, **hp):
    """Run ``rule`` for ``steps`` steps on ``grad_fn`` from ``start``.

    Args:
        rule: an update rule of this module, e.g. ``adam_step``.
        grad_fn: point (D,) -> gradient (D,).
        start: (D,) starting point.
        **hp: the rule's hyperparameters.
    Returns:
        (steps + 1, D) float64 array of the points visited, the start first.
    """
    check_number("trajectory", "steps", steps, low=0, integer=True)
    p = np.array(start, dtype=np.float64)
    state, path = {}, [p]
    for _ in range(steps):
        p, state = rule(p, grad_fn(p), state, **hp)
        path.append(p)
    return np.stack(path)


# Learning-rate schedules: the rate to use at step t (t = 0, 1, ...), matching the
# schedulers of torch.optim.lr_scheduler named in each docstring.

def exponential_decay(t, *, lr0, gamma):
    """lr0 * gamma^t (``ExponentialLR``)."""
    check_number("exponential_decay", "t", t, low=0)
    return lr0 * gamma ** t


def linear_decay(t, *, lr0, total_steps, end_lr=0.0):
    """From lr0 down a straight line to end_lr at ``total_steps``, then flat
    (``LinearLR`` with end_factor = end_lr / lr0)."""
    check_number("linear_decay", "t", t, low=0)
    check_number("linear_decay", "total_steps", total_steps, low=0, low_open=True)
    return lr0 + (end_lr - lr0) * min(t, total_steps) / total_steps


def step_decay(t, *, lr0, step_size, gamma=0.1):
    """lr0 * gamma^floor(t / step_size): flat, then a drop every step_size steps
    (``StepLR``)."""
    check_number("step_decay", "t", t, low=0)
    check_number("step_decay", "step_size", step_size, low=0, low_open=True,
                 integer=True)
    return lr0 * gamma ** (t // step_size)


def warmup_cosine(t, *, lr0, warmup_steps, total_steps, min_lr=0.0):
    """Linear warm-up from lr0 / warmup_steps to lr0 over ``warmup_steps``, then a
    half cosine from lr0 to min_lr at ``total_steps`` (``CosineAnnealingLR``)."""
    check_number("warmup_cosine", "t", t, low=0)
    check_number("warmup_cosine", "warmup_steps", warmup_steps, low=0, integer=True)
    check_number("warmup_cosine", "total_steps", total_steps, low=warmup_steps,
                 low_open=True, integer=True)
    if t < warmup_steps:
        return lr0 * (t + 1) / warmup_steps
    span = total_steps - warmup_steps
    frac = min(t - warmup_steps, span) / span
    return min_lr + (lr0 - min_lr) * (1 + math.cos(math.pi * frac)) / 2
