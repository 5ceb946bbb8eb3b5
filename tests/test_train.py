"""fit(): learns, stops early restoring the best epoch, and stops a diverging run."""
import numpy as np
import pytest
import torch
from torch import nn

from dlnotes import setup
from dlnotes.train import History, TrainingDiverged, evaluate, fit, loader


def blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.standard_normal((n, 2)) + 3 * y[:, None] - 1.5
    return X.astype(np.float32), y


def classifier():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))


def test_fit_learns_a_toy_problem():
    setup(0)
    X, y = blobs()
    model = classifier()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hist = fit(model, nn.CrossEntropyLoss(), opt, loader(X, y, batch_size=32,
               shuffle=True), epochs=10, val_data=loader(*blobs(seed=1)), progress=False)
    assert isinstance(hist, History) and len(hist.train_loss) == 10
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    assert hist.val_acc[-1] > 0.95
    loss, acc = evaluate(model, nn.CrossEntropyLoss(), loader(*blobs(seed=1)))
    assert loss == pytest.approx(hist.val_loss[-1]) and acc == hist.val_acc[-1]


def test_regression_records_no_accuracy():
    setup(0)
    X = np.linspace(-1, 1, 64, dtype=np.float32)[:, None]
    model = nn.Linear(1, 1)
    hist = fit(model, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.5),
               loader(X, 2 * X, batch_size=16), epochs=20, progress=False)
    assert hist.train_acc[-1] is None
    assert model.weight.item() == pytest.approx(2.0, abs=1e-2)


class Memoriser(nn.Module):
    """A model that overfits on purpose: one free logit vector per training example."""

    def __init__(self, n):
        super().__init__()
        self.table = nn.Embedding(n, 2)

    def forward(self, idx):
        return self.table(idx[:, 0])


def test_early_stopping_restores_the_best_epoch():
    setup(0)
    n = 64
    idx = np.arange(n)[:, None]
    y_train = np.random.default_rng(0).integers(0, 2, n)
    y_val = 1 - y_train      # the better it fits training labels, the worse on these
    model = Memoriser(n)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    hist = fit(model, nn.CrossEntropyLoss(), opt, loader(idx, y_train, batch_size=n),
               epochs=50, val_data=loader(idx, y_val, batch_size=n), patience=3,
               progress=False)
    assert hist.stopped_early and hist.best_epoch == 1
    assert len(hist.val_loss) == hist.best_epoch + 3
    # the model holds the best epoch's weights: its val loss is the best one
    val_loss, _ = evaluate(model, nn.CrossEntropyLoss(), loader(idx, y_val, batch_size=n))
    assert val_loss == pytest.approx(min(hist.val_loss), rel=1e-6)
    assert val_loss < hist.val_loss[-1]


def test_huge_learning_rate_raises_training_diverged():
    setup(0)
    X = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    model = nn.Sequential(nn.Linear(4, 32), nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=1e6)
    with pytest.raises(TrainingDiverged,
                       match=r"loss became (nan|inf) at epoch 1, step \d+ \(lr=1000000.0\)"):
        fit(model, nn.MSELoss(), opt, loader(X, X[:, :1] * 10, batch_size=8),
            epochs=5, progress=False)


def test_bad_input():
    model = nn.Linear(2, 2)
    data = loader(*blobs())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"fit: epochs must be in \(0, inf\], got 0"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=0)
    with pytest.raises(TypeError, match="fit: patience must be an integer, got 1.5"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, patience=1.5)
    with pytest.raises(TypeError, match="fit: optimizer must be a torch.optim.Optimizer, "
                                        "got str"):
        fit(model, nn.CrossEntropyLoss(), "sgd", data, epochs=1)
    with pytest.raises(ValueError, match="loader: X and y must have the same length, "
                                         "got 200 and 3"):
        loader(blobs()[0], np.zeros(3))
    with pytest.raises(ValueError, match="evaluate: expected at least one batch"):
        evaluate(model, nn.CrossEntropyLoss(), [])
    opt.param_groups[0]["lr"] = -0.1       # torch checks lr only when it is built
    with pytest.raises(ValueError, match=r"fit: the learning rate of param group 0 "
                                         r"must be in \[0, inf\], got -0.1"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1)


def test_predict_proba_and_accuracy_in_eval_mode():
    from torch import nn
    from dlnotes import train

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.9))
    X = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    probs = train.predict_proba(model, X, batch_size=3)
    assert probs.shape == (7, 4) and not model.training        # dropout off: repeatable
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-6)
    np.testing.assert_array_equal(probs, train.predict_proba(model, X))
    y = probs.argmax(1)
    assert train.accuracy(model, X, y) == 1.0
    assert train.accuracy(model, X, (y + 1) % 4) == 0.0
    with pytest.raises(ValueError, match="accuracy: X and y must have the same number "
                                         "of rows, got 7 and 6"):
        train.accuracy(model, X, y[:6])
