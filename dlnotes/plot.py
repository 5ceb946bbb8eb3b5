"""Figure helpers that two or more chapters share. Each draws on ``ax`` (a new
figure when None), labels its axes and returns the axes."""
import matplotlib.pyplot as plt
import numpy as np

from ._validate import check_array, check_labels, check_positive

__all__ = ["loss_curves", "decision_boundary", "image_grid", "confusion_matrix"]


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def loss_curves(history, *, ax=None, title="Loss per epoch", label=""):
    """Train (solid) and validation (dashed) loss of a ``fit`` History by epoch."""
    if not getattr(history, "train_loss", None):
        raise ValueError("loss_curves: expected a History with at least one epoch, "
                         f"got {history!r}")
    ax = _axes(ax)
    epochs = np.arange(1, len(history.train_loss) + 1)
    prefix = f"{label} " if label else ""
    line, = ax.plot(epochs, history.train_loss, label=f"{prefix}train")
    if history.val_loss:
        ax.plot(epochs, history.val_loss, "--", color=line.get_color(),
                label=f"{prefix}validation")
    if history.best_epoch is not None and history.stopped_early:
        ax.axvline(history.best_epoch, color="gray", lw=0.8, ls=":")
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    ax.legend()
    return ax


def decision_boundary(predict, X, y, *, ax=None, resolution=200, title="Decision boundary"):
    """Shade the classes ``predict`` assigns over the plane around 2-D points X.

    Args:
        predict: maps an (M, 2) float array to (M,) integer class labels.
        X: (N, 2) points; y: (N,) their labels.
    """
    X = np.asarray(X)
    check_array("decision_boundary", "X", X, ndim=2, shape=(None, 2), what="(N, 2)")
    check_positive("decision_boundary", "resolution", resolution, integer=True)
    ax = _axes(ax, figsize=(5, 5))
    pad = 0.1 * (X.max(0) - X.min(0))
    lo, hi = X.min(0) - pad, X.max(0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[xx.ravel(), yy.ravel()]
    zz = np.asarray(predict(grid)).reshape(xx.shape)
    ax.contourf(xx, yy, zz, alpha=0.3, cmap="coolwarm")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolors="k",
               linewidths=0.3)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    return ax


def image_grid(images, labels=None, *, ncols=8, cmap="gray", title=None, size=1.2):
    """Show (N, H, W) or (N, H, W, 3) images in a grid, with optional captions.

    Returns:
        the figure (call ``plt.show()`` after it).
    """
    images = np.asarray(images)
    check_array("image_grid", "images", images, ndim=(3, 4),
                what="(N, H, W) or (N, H, W, 3)")
    check_positive("image_grid", "ncols", ncols, integer=True)
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"image_grid: expected one label per image ({len(images)}), "
                         f"got {len(labels)}")
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def surface_contours(surface, *, ax=None, lim=(-10, 2, -3, 3), levels=None,
                     title=None):
    """Contours of a 2-D test surface (``dlnotes.ref.SURFACES``) with equal axes.

    Equal aspect keeps right angles right, so a gradient step is visibly
    perpendicular to the level sets. The minima are starred.

    Args:
        surface: a ``ref.Surface`` (its ``f`` takes a (2, H, W) grid).
        lim: (xmin, xmax, ymin, ymax).
        levels: contour levels (default: 14 geometric levels for a non-negative
            surface, 20 automatic levels otherwise).
    Returns:
        the axes.
    """
    if len(lim) != 4 or not (lim[0] < lim[1] and lim[2] < lim[3]):
        raise ValueError("surface_contours: expected lim = (xmin, xmax, ymin, ymax) "
                         f"with xmin < xmax and ymin < ymax, got {lim!r}")
    ax = _axes(ax, figsize=(6, 4))
    a, b = np.meshgrid(np.linspace(*lim[:2], 200), np.linspace(*lim[2:], 200))
    z = surface.f(np.stack([a, b]))
    if levels is None:
        levels = (np.geomspace(max(z.min(), 1e-2), z.max(), 14) if z.min() >= 0
                  else 20)
    ax.contour(a, b, z, levels=levels, colors="0.7", linewidths=0.6)
    for m in surface.minima:
        ax.plot(*m, "k*", ms=10)
    ax.set(xlabel="$x$", ylabel="$y$", xlim=lim[:2], ylim=lim[2:],
           title=title or surface.name)
    ax.set_aspect("equal")
    return ax


__all__ += ["surface_contours"]


def confusion_matrix(y_true, y_pred, *, num_classes=None, ax=None,
                     title="Confusion matrix"):
    """Counts of (true class, predicted class) pairs as an annotated heat map.

    Args:
        y_true, y_pred: (N,) integer class labels.
        num_classes: the number of classes (default: the largest label + 1).
    Returns:
        the axes; ``ax.confusion`` holds the (num_classes, num_classes) int counts,
        rows true classes, columns predictions.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    check_array("confusion_matrix", "y_true", y_true, ndim=1, what="(N,) labels")
    check_array("confusion_matrix", "y_pred", y_pred, ndim=1, what="(N,) labels")
    if len(y_true) != len(y_pred):
        raise ValueError(f"confusion_matrix: y_true and y_pred must have the same "
                         f"length, got {len(y_true)} and {len(y_pred)}")
    if num_classes is None:
        num_classes = int(max(y_true.max(), y_pred.max())) + 1
    check_labels("confusion_matrix", "y_true", y_true, num_classes)
    check_labels("confusion_matrix", "y_pred", y_pred, num_classes)
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    ax = _axes(ax, figsize=(5.5, 4.8))
    im = ax.imshow(counts, cmap="Blues")
    for i, j in zip(*np.nonzero(counts)):
        ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=7,
                color="white" if counts[i, j] > counts.max() / 2 else "black")
    ax.set(xticks=range(num_classes), yticks=range(num_classes),
           xlabel="predicted class", ylabel="true class", title=title)
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    ax.confusion = counts
    return ax
