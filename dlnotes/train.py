"""fit(): the one training loop of the book.

It shows a ``tqdm.auto`` progress bar, records a :class:`History`, stops early
when the validation loss has not improved for ``patience`` epochs (restoring the
best weights), and raises :class:`TrainingDiverged` naming the epoch, step and
learning rate as soon as the loss becomes nan or inf.
"""
import copy
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from ._validate import check_array, check_number, check_positive

__all__ = ["fit", "evaluate", "loader", "predict_proba", "accuracy", "History",
           "TrainingDiverged"]


class TrainingDiverged(RuntimeError):
    """The loss became nan or inf; the message names epoch, step and learning rate."""


@dataclass
class History:
    """Per-epoch figures of a run; accuracies are None for non-class targets."""
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    best_epoch: int = None       # 1-based epoch of the lowest monitored loss;
    # with patience set, fit leaves the model holding that epoch's weights
    stopped_early: bool = False


def loader(X, y, *, batch_size=64, shuffle=False, seed=0):
    """A DataLoader over arrays (NumPy or torch); float features, int64 class labels.

    Args:
        X: (N, ...) features.
        y: (N, ...) targets; integer arrays become int64 (class labels).
        shuffle: reshuffle every epoch with a generator seeded by ``seed``.
    """
    check_array("loader", "X", X, ndim=range(1, 9))
    check_array("loader", "y", y, ndim=range(1, 9))
    if len(X) != len(y):
        raise ValueError(f"loader: X and y must have the same length, "
                         f"got {len(X)} and {len(y)}")
    check_positive("loader", "batch_size", batch_size, integer=True)
    X = torch.as_tensor(np.asarray(X) if not torch.is_tensor(X) else X)
    y = torch.as_tensor(np.asarray(y) if not torch.is_tensor(y) else y)
    X = X.float() if X.is_floating_point() else X
    y = y.float() if y.is_floating_point() else y.long()
    gen = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y),
                                       batch_size=batch_size, shuffle=shuffle,
                                       generator=gen)


def _is_classification(out, y):
    return out.ndim == 2 and out.shape[1] > 1 and not y.is_floating_point()


def evaluate(model, loss_fn, data, *, device=None):
    """Mean loss and accuracy (None unless class labels) of ``model`` over ``data``."""
    device = _device(device)
    model.eval()
    total, correct, n, is_cls = 0.0, 0, 0, True
    with torch.no_grad():
        for x, y in data:
            x, y = x.to(device), y.to(device)
            out = model(x)
            total += loss_fn(out, y).item() * len(x)
            is_cls = is_cls and _is_classification(out, y)
            if is_cls:
                correct += (out.argmax(1) == y).sum().item()
            n += len(x)
    if n == 0:
        raise ValueError("evaluate: expected at least one batch in data, got none")
    return total / n, (correct / n if is_cls else None)


def predict_proba(model, X, *, batch_size=500, device=None):
    """Softmax probabilities of a classifier on ``X``, in evaluation mode.

    Args:
        model: an ``nn.Module`` returning logits (N, C).
        X: inputs, a NumPy array or tensor with N rows.
    Returns:
        probs: (N, C) NumPy float64 array; each row sums to 1.
    """
    check_array("predict_proba", "X", X)
    check_positive("predict_proba", "batch_size", batch_size, integer=True)
    device = _device(device)
    model.to(device).eval()
    X = torch.as_tensor(np.asarray(X) if not torch.is_tensor(X) else X)
    if X.is_floating_point():
        X = X.float()
    out = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            out.append(torch.softmax(model(X[i:i + batch_size].to(device)), 1).cpu())
    return torch.cat(out).double().numpy()


def accuracy(model, X, y, *, batch_size=500, device=None):
    """Share of rows of ``X`` whose most probable class is ``y``, in evaluation mode."""
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"accuracy: X and y must have the same number of rows, "
                         f"got {len(X)} and {len(y)}")
    probs = predict_proba(model, X, batch_size=batch_size, device=device)
    return float((probs.argmax(1) == y).mean())


def fit(model, loss_fn, optimizer, train_data, *, epochs, val_data=None, patience=None,
        device=None, progress=True):
    """Train ``model`` for ``epochs`` passes over ``train_data``.

    Args:
        model: an ``nn.Module``; moved to ``device``.
        loss_fn: ``loss_fn(model(x), y)`` -> scalar tensor (batch mean).
        optimizer: a ``torch.optim.Optimizer`` over the model's parameters.
        train_data, val_data: re-iterable batches ``(x, y)``, e.g. from ``loader``.
        epochs: the most epochs to run.
        patience: stop once the validation loss (the training loss without
            ``val_data``) has not improved for this many epochs, and restore the
            weights of the best epoch. None trains all epochs and keeps the last.
        device: where to train; ``dlnotes.device()`` by default.
        progress: show a progress bar (one tick a batch).
    Returns:
        History.
    Raises:
        TrainingDiverged: the loss became nan or inf.
    """
    check_positive("fit", "epochs", epochs, integer=True)
    if patience is not None:
        check_positive("fit", "patience", patience, integer=True)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"fit: optimizer must be a torch.optim.Optimizer, "
                        f"got {type(optimizer).__name__}")
    for i, group in enumerate(optimizer.param_groups):   # a reader may have set it
        check_number("fit", f"the learning rate of param group {i}", group.get("lr", 0),
                     low=0)
    device = _device(device)
    model.to(device)
    hist = History()
    best, best_state, waited = math.inf, None, 0
    steps = epochs * len(train_data) if hasattr(train_data, "__len__") else None
    bar = tqdm(total=steps, desc="fit", unit="batch", disable=not progress)
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        total, correct, n, is_cls = 0.0, 0, 0, True
        for x, y in train_data:
            x, y = x.to(device), y.to(device)
            step += 1
            out = model(x)
            loss = loss_fn(out, y)
            value = loss.item()
            if not math.isfinite(value):
                bar.close()
                lr = optimizer.param_groups[0].get("lr")
                raise TrainingDiverged(f"loss became {value} at epoch {epoch}, "
                                       f"step {step} (lr={lr})")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += value * len(x)
            n += len(x)
            is_cls = is_cls and _is_classification(out, y)
            if is_cls:
                correct += (out.argmax(1) == y).sum().item()
            bar.update(1)
            bar.set_postfix(epoch=epoch, loss=f"{value:.4f}", refresh=False)
        hist.train_loss.append(total / n)
        hist.train_acc.append(correct / n if is_cls else None)
        monitored = hist.train_loss[-1]
        if val_data is not None:
            vl, va = evaluate(model, loss_fn, val_data, device=device)
            hist.val_loss.append(vl)
            hist.val_acc.append(va)
            monitored = vl
        if monitored < best:
            best, waited, hist.best_epoch = monitored, 0, epoch
            if patience is not None:
                best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if patience is not None and waited >= patience:
                hist.stopped_early = True
                break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return hist


def _device(device):
    if device is None:
        from . import device as default_device

        return default_device()
    return torch.device(device)
