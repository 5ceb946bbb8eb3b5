"""Optimisers: ours vs torch.optim, the NumPy rules vs ours, bad hyperparameters,
schedules, Newton's step and the test surfaces."""
import copy
import math

import numpy as np
import pytest
import torch

from dlnotes import pt, ref
from dlnotes.check import max_abs_diff, numerical_grad

# (class name, hyperparameter combinations); each runs ours and torch's 100 steps
TORCH_CASES = [
    ("SGD", [dict(lr=0.05), dict(lr=0.05, weight_decay=0.1),
             dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, dampening=0.5),
             dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
             dict(lr=1e-3, momentum=0.5, maximize=True)]),
    ("Adagrad", [dict(), dict(lr=0.1, lr_decay=0.01, weight_decay=0.1,
                              initial_accumulator_value=0.1)]),
    ("RMSprop", [dict(), dict(lr=1e-3, alpha=0.9), dict(momentum=0.9, weight_decay=0.1),
                 dict(centered=True), dict(centered=True, momentum=0.5)]),
    ("Adadelta", [dict(), dict(lr=0.5, rho=0.95, weight_decay=0.1)]),
    ("Adam", [dict(), dict(lr=1e-2, betas=(0.8, 0.99)), dict(amsgrad=True),
              dict(weight_decay=0.1), dict(lr=1e-2, weight_decay=0.1, amsgrad=True)]),
    ("AdamW", [dict(), dict(lr=1e-2, weight_decay=0.1, amsgrad=True)]),
    ("Adamax", [dict(), dict(lr=1e-2, betas=(0.5, 0.9), weight_decay=0.1)]),
    ("NAdam", [dict(), dict(lr=1e-2, weight_decay=0.1),
               dict(weight_decay=0.1, decoupled_weight_decay=True,
                    momentum_decay=0.01)]),
]
TORCH_PARAMS = [(name, hp) for name, combos in TORCH_CASES for hp in combos]


_problem = pt.optim.stochastic_problem
_run = pt.optim.run_optimizer


@pytest.mark.parametrize("name,hp", TORCH_PARAMS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(TORCH_PARAMS)])
def test_matches_torch_after_100_steps(name, hp):
    ours, _ = _run(getattr(pt.optim, name), hp)
    theirs, _ = _run(getattr(torch.optim, name), {**hp, "foreach": False})
    for a, b in zip(ours, theirs):
        assert max_abs_diff(a.detach(), b.detach()) < 1e-6
    # and they moved: the test compares trajectories, not two idle optimisers
    assert max_abs_diff(ours[0].detach(), _problem()[0][0]) > 1e-3


def test_defaults_match_torch():
    for name, _ in TORCH_CASES:
        p = [torch.zeros(1, requires_grad=True)]
        ours = getattr(pt.optim, name)(p).defaults
        theirs = getattr(torch.optim, name)(p).defaults
        for key, value in ours.items():
            assert theirs[key] == value, (name, key)


def test_closure_returns_loss():
    p = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    opt = pt.optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p ** 2).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 9.0
    assert p.item() == pytest.approx(3.0 - 0.1 * 6.0)


def test_loads_torch_state_dict():
    init, loss = _problem()
    a = [p.clone().requires_grad_() for p in init]
    b = [p.clone().requires_grad_() for p in init]
    theirs = torch.optim.Adam(a, lr=1e-2, amsgrad=True, foreach=False)
    for t in range(10):
        theirs.zero_grad()
        loss(a, t).backward()
        theirs.step()
    with torch.no_grad():
        for p, q in zip(b, a):
            p.copy_(q)
    ours = pt.optim.Adam(b, lr=1e-2, amsgrad=True)
    ours.load_state_dict(copy.deepcopy(theirs.state_dict()))  # tensors are shared
    for t in range(10, 20):
        for opt, params in ((theirs, a), (ours, b)):
            opt.zero_grad()
            loss(params, t).backward()
            opt.step()
    assert max_abs_diff(a[0].detach(), b[0].detach()) < 1e-12


# --- NumPy rules vs our torch optimisers, step for step ----------------------------

RULE_CASES = [
    (ref.sgd_step, "SGD", dict(lr=0.05, weight_decay=0.1), {}),
    (ref.momentum_step, "SGD", dict(lr=0.05, momentum=0.9, dampening=0.1), {}),
    (ref.nesterov_step, "SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1),
     dict(nesterov=True)),
    (ref.adagrad_step, "Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                       initial_accumulator_value=0.1), {}),
    (ref.rmsprop_step, "RMSprop", dict(lr=1e-2, alpha=0.9), {}),
    (ref.rmsprop_step, "RMSprop", dict(lr=1e-2, centered=True, momentum=0.9,
                                       weight_decay=0.1), {}),
    (ref.adadelta_step, "Adadelta", dict(rho=0.9, weight_decay=0.1), {}),
    (ref.adam_step, "Adam", dict(lr=1e-2), {}),
    (ref.adam_step, "Adam", dict(lr=1e-2, weight_decay=0.1, amsgrad=True), {}),
    (ref.adamw_step, "AdamW", dict(lr=1e-2, weight_decay=0.1), {}),
    (ref.adamax_step, "Adamax", dict(lr=1e-2, weight_decay=0.1), {}),
    (ref.nadam_step, "NAdam", dict(lr=1e-2, weight_decay=0.1, momentum_decay=0.01), {}),
]


def _grad(p, t, rng):
    """A stochastic, non-convex gradient: d/dp of (p^2 - 1)^2 / 4, plus noise."""
    return p * (p * p - 1) + 0.3 * rng.standard_normal(p.shape)


@pytest.mark.parametrize("rule,name,hp,extra", RULE_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(RULE_CASES)])
def test_numpy_rule_matches_ours_step_for_step(rule, name, hp, extra):
    rng = np.random.default_rng(0)
    p_np = rng.standard_normal((4, 3))
    p_pt = torch.tensor(p_np, requires_grad=True)
    opt = getattr(pt.optim, name)([p_pt], **hp, **extra)
    state, worst = {}, 0.0
    for t in range(50):
        g = _grad(p_np, t, rng)
        p_pt.grad = torch.from_numpy(g)
        opt.step()
        p_np, state = rule(p_np, g, state, **hp)
        worst = max(worst, max_abs_diff(p_np, p_pt.detach()))
    assert worst < 1e-12


def test_rules_never_mutate_state():
    p, g = np.ones(3), np.full(3, 0.5)
    _, state = ref.adam_step(p, g, {}, amsgrad=True)
    frozen = {k: np.copy(v) for k, v in state.items()}
    _, new = ref.adam_step(p, g, state, amsgrad=True)
    for k, v in frozen.items():
        np.testing.assert_array_equal(state[k], v)
    assert new["step"] == 2 and state["step"] == 1


def test_adam_first_step_is_lr_times_sign():
    # bias correction makes the first step lr * g / (|g| + eps) = lr * sign(g)
    g = np.array([1e-3, -5.0, 200.0])
    p, _ = ref.adam_step(np.zeros(3), g, {}, lr=0.1, eps=0.0)
    np.testing.assert_allclose(p, -0.1 * np.sign(g), rtol=1e-12)


# --- invalid hyperparameters -----------------------------------------------------

BAD = [
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1,
                                                       nesterov=True)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(eps=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(alpha=-0.1)), ("RMSprop", dict(eps=-1)),
    ("RMSprop", dict(momentum=-1)),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adam", dict(lr=-1)), ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(eps=-1e-8)),
    ("Adam", dict(weight_decay=-1)), ("AdamW", dict(betas=(0.9, 1.0))),
    ("Adamax", dict(betas=(1.5, 0.9))), ("Adamax", dict(eps=-1)),
    ("NAdam", dict(momentum_decay=-1)), ("NAdam", dict(betas=(0.9, 1.2))),
]


@pytest.mark.parametrize("name,hp", BAD,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_invalid_hyperparameters_raise_like_torch(name, hp):
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)(p, **hp)
    with pytest.raises(ValueError) as ours:
        getattr(pt.optim, name)(p, **hp)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("rule,hp,match", [
    (ref.sgd_step, dict(lr=-1), "sgd_step: lr .* got -1"),
    (ref.adam_step, dict(betas=(1.0, 0.999)), r"adam_step: betas\[0\] .* got 1.0"),
    (ref.adam_step, dict(eps=-1e-8), "adam_step: eps .* got -1e-08"),
    (ref.adadelta_step, dict(rho=2.0), "adadelta_step: rho .* got 2.0"),
    (ref.nadam_step, dict(betas=(0.9, -0.5)), r"nadam_step: betas\[1\] .* got -0.5"),
])
def test_numpy_rule_rejects_bad_hyperparameters(rule, hp, match):
    with pytest.raises(ValueError, match=match):
        rule(np.zeros(2), np.ones(2), {}, **hp)


# --- schedules ---------------------------------------------------------------------

def _torch_lrs(make, steps, lr0=0.5):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(lrs)


def test_schedules_match_torch_schedulers():
    S = torch.optim.lr_scheduler
    t = range(40)
    np.testing.assert_allclose(
        [ref.exponential_decay(i, lr0=0.5, gamma=0.9) for i in t],
        _torch_lrs(lambda o: S.ExponentialLR(o, gamma=0.9), 40), rtol=1e-12)
    np.testing.assert_allclose(
        [ref.step_decay(i, lr0=0.5, step_size=10, gamma=0.5) for i in t],
        _torch_lrs(lambda o: S.StepLR(o, step_size=10, gamma=0.5), 40), rtol=1e-12)
    np.testing.assert_allclose(
        [ref.linear_decay(i, lr0=0.5, total_steps=30, end_lr=0.05) for i in t],
        _torch_lrs(lambda o: S.LinearLR(o, 1.0, 0.1, total_iters=30), 40), rtol=1e-12)
    cosine = _torch_lrs(lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.01), 31)
    np.testing.assert_allclose(
        [ref.warmup_cosine(i + 5, lr0=0.5, warmup_steps=5, total_steps=35, min_lr=0.01)
         for i in range(31)], cosine, rtol=1e-10)


def test_schedule_values():
    assert ref.exponential_decay(2, lr0=1.0, gamma=0.5) == 0.25
    assert ref.linear_decay(5, lr0=1.0, total_steps=10) == 0.5
    assert ref.linear_decay(50, lr0=1.0, total_steps=10) == 0.0
    assert ref.step_decay(25, lr0=1.0, step_size=10) == pytest.approx(0.01)
    warm = [ref.warmup_cosine(i, lr0=1.0, warmup_steps=4, total_steps=8)
            for i in range(9)]
    np.testing.assert_allclose(warm[:5], [0.25, 0.5, 0.75, 1.0, 1.0])
    assert warm[6] == pytest.approx(0.5) and warm[8] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="step_decay: step_size"):
        ref.step_decay(1, lr0=1.0, step_size=0)


# --- Newton and the surfaces -------------------------------------------------------

def test_newton_one_step_solves_a_quadratic():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((5, 5))
    A = M @ M.T + 5 * np.eye(5)              # f(x) = x^T A x / 2 - b^T x
    b = rng.standard_normal(5)
    x = rng.standard_normal(5)
    x_new = x + ref.newton_step(A @ x - b, A)
    np.testing.assert_allclose(x_new, np.linalg.solve(A, b), atol=1e-12)
    with pytest.raises(ValueError, match="newton_step: hessian must have shape"):
        ref.newton_step(np.zeros(2), np.eye(3))


@pytest.mark.parametrize("surface", ref.SURFACES, ids=lambda s: s.name.split()[0])
def test_surface_derivatives(surface):
    p = np.array([0.7, -0.4])
    g = numerical_grad(lambda q: surface.f(q), p.copy(), 1.0)
    np.testing.assert_allclose(surface.grad(p), g, rtol=1e-6, atol=1e-8)
    H = np.stack([numerical_grad(lambda q: surface.grad(q)[i], p.copy(), 1.0)
                  for i in range(2)])
    np.testing.assert_allclose(surface.hessian(p), H, rtol=1e-6, atol=1e-6)
    for m in surface.minima:
        assert np.abs(surface.grad(np.array(m))).max() < 1e-12
        assert np.all(np.linalg.eigvalsh(surface.hessian(np.array(m))) > 0)


def test_saddle_hessian_has_both_signs():
    eig = np.linalg.eigvalsh(ref.SADDLE.hessian(np.zeros(2)))
    assert eig.min() < 0 < eig.max()


def test_trajectory():
    path = ref.trajectory(ref.sgd_step, ref.RAVINE.grad, (1.0, 1.0), 3, lr=0.1)
    assert path.shape == (4, 2)
    np.testing.assert_allclose(path[1], [1.0 - 0.1 * 0.1, 1.0 - 0.1 * 4.0])
    assert math.isclose(ref.TWO_WELLS.f(np.array(ref.TWO_WELLS.minima[0])),
                        min(ref.TWO_WELLS.f(np.array(m)) for m in ref.TWO_WELLS.minima))


def test_run_optimizer_rejects_too_many_steps():
    with pytest.raises(ValueError, match="run_optimizer: steps"):
        pt.optim.run_optimizer(pt.optim.SGD, dict(lr=0.1), steps=101)


def test_regression_helpers():
    rng = np.random.default_rng(0)
    X, y = ref.regression_data(rng, n=500)
    S = ref.regression_surface(X, y)
    w = np.array([0.3, -0.7])
    np.testing.assert_allclose(S.f(w), np.mean((X @ w - y) ** 2) / 2, rtol=1e-12)
    np.testing.assert_allclose(S.grad(w), ref.mse_grad(w, X, y), rtol=1e-12)
    num = numerical_grad(lambda v: np.asarray(S.f(v)), w.copy(), np.asarray(1.0))
    np.testing.assert_allclose(S.grad(w), num, atol=1e-7)
    np.testing.assert_allclose(S.minima[0], np.linalg.lstsq(X, y, rcond=None)[0],
                               rtol=1e-10)
    full = ref.sgd_regression(X, y, (0.0, 0.0), rng, batch_size=500, steps=3, lr=0.5)
    by_hand = [np.zeros(2)]
    for _ in range(3):
        by_hand.append(by_hand[-1] - 0.5 * S.grad(by_hand[-1]))
    np.testing.assert_allclose(full, by_hand, rtol=1e-12)
    decayed = ref.sgd_regression(X, y, (0.0, 0.0), rng, batch_size=8, steps=5,
                                 lr=lambda t: 0.0)
    assert np.all(decayed == 0)
    with pytest.raises(ValueError, match="sgd_regression: batch_size"):
        ref.sgd_regression(X, y, (0.0, 0.0), rng, batch_size=501, steps=1, lr=0.1)
    with pytest.raises(ValueError, match="regression_surface: X"):
        ref.regression_surface(np.zeros((5, 3)), np.zeros(5))
