"""Figures used across the course. Each draws, shows and returns nothing.

Every figure has a title, labelled axes and, where colours carry meaning, a legend.
"""
import matplotlib.pyplot as plt
import torch

from .runtime import predict


def image_rows(rows, n=10, title=None, captions=None):
    """Rows of images, one row per entry of ``rows``.

    Args:
        rows: ``{row label: images}``, each a tensor (N, 1, H, W), (N, H, W), colour
            (N, 3, H, W) or of flattened square images (N, H * W), values in [0, 1].
        n: number of images per row (columns).
        captions: optional ``{row label: [text above each image]}`` for some of the rows.
    """
    n = min([n] + [len(images) for images in rows.values()])
    captions = captions or {}
    unknown = set(captions) - set(rows)
    if unknown:
        raise ValueError(f"captions for rows that do not exist: {sorted(unknown)}; rows are {list(rows)}.")
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n + 1, 1.2 * len(rows) + 0.4), squeeze=False)
    for r, (label, images) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(_square(images[c]).clip(0, 1), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if label in captions and c < len(captions[label]):
                ax.set_title(str(captions[label][c]), fontsize=8, pad=2)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.show()


def _square(image):
    """One image as an array for imshow.

    (1, H, W) and (H, W) give (H, W); a colour (3, H, W) gives (H, W, 3); a flat (H * W,) becomes square.
    """
    image = torch.as_tensor(image).detach().cpu().float()
    if image.ndim == 1:
        side = round(image.numel() ** 0.5)
        return image.reshape(side, side).numpy()
    if image.ndim == 3 and image.shape[0] == 3:
        return image.permute(1, 2, 0).numpy()
    return image.reshape(image.shape[-2:]).numpy()


def reconstructions(originals, reconstructed, n=10, title="Originals and their reconstructions"):
    """Originals (top row) over their reconstructions (bottom row); tensors (N, 1, H, W)."""
    if originals.shape != reconstructed.shape:
        raise ValueError(f"originals {tuple(originals.shape)} and reconstructions "
                         f"{tuple(reconstructed.shape)} must have the same shape.")
    image_rows({"original": originals, "reconstruction": reconstructed}, n=n, title=title)


def _sample(n, max_points):
    """Sorted indices of a fixed random sample of at most ``max_points`` of ``n`` points."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(0))[:max_points].sort().values


def _scatter_by_class(ax, codes, labels, class_names):
    """Scatter ``codes`` (N, 2 or 3) on ``ax``, one colour and legend entry per label."""
    cmap = plt.get_cmap("tab10")
    for k in torch.unique(labels).tolist():
        ax.scatter(*codes[labels == k].T.numpy(), s=4, alpha=0.6, color=cmap(k % 10),
                   label=class_names[k] if class_names else str(k))


def latent_scatter(codes, labels, title="Latent codes of test images", class_names=None, max_points=5000):
    """Scatter of 2-D or 3-D codes, coloured by class label, with a legend.

    Args:
        codes: tensor (N, 2) or (N, 3).
        labels: int tensor (N,).
        class_names: names of the classes (default: the label numbers).
        max_points: draw at most this many points, a fixed random sample of all classes.
    """
    if codes.ndim != 2 or codes.shape[1] not in (2, 3):
        raise ValueError(f"latent_scatter draws codes of shape (N, 2) or (N, 3), got {tuple(codes.shape)}.")
    keep = _sample(len(codes), max_points)
    codes, labels = codes.detach().cpu()[keep], labels.cpu()[keep]
    three_d = codes.shape[1] == 3
    fig = plt.figure(figsize=(7, 6))
    ax = fig.add_subplot(projection="3d" if three_d else None)
    _scatter_by_class(ax, codes, labels, class_names)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if three_d:
        ax.set_zlabel("$z_3$")
        ax.set_box_aspect(None, zoom=0.85)  # leaves room for the z label, which tight_layout would cut
    ax.set_title(title)
    ax.legend(markerscale=4, loc="upper left", bbox_to_anchor=(1.02, 1), title="label")
    fig.tight_layout()
    plt.show()


def latent_scatters(codes, labels, title=None, class_names=None, max_points=5000):
    """2-D codes of several models side by side, on one scale, coloured by class label.

    Each axis is divided by its standard deviation over the images shown, so that codes of very
    different sizes (PCA's components, an autoencoder's units) can be compared at a glance.

    Args:
        codes: ``{panel title: tensor (N, 2)}``, codes of the same N images.
        labels: int tensor (N,).
        class_names: names of the classes (default: the label numbers).
        max_points: draw at most this many points per panel, the same random sample in each.
    """
    for name, z in codes.items():
        if z.ndim != 2 or z.shape[1] != 2 or len(z) != len(labels):
            raise ValueError(f"latent_scatters draws codes of shape (N, 2) with N = {len(labels)} labels; "
                             f"{name!r} has shape {tuple(z.shape)}.")
    keep = _sample(len(labels), max_points)
    labels = labels.cpu()[keep]
    fig, axes = plt.subplots(1, len(codes), figsize=(5.2 * len(codes) + 1.2, 5), squeeze=False)
    for ax, (name, z) in zip(axes[0], codes.items()):
        z = z.detach().cpu().float()[keep]
        z = (z - z.mean(0)) / z.std(0).clamp_min(1e-12)  # in units of each axis's own spread
        _scatter_by_class(ax, z, labels, class_names)
        ax.set_xlim(-4, 4)
        ax.set_ylim(-4, 4)
        ax.set_aspect("equal")
        ax.set_xlabel("$z_1$ (standard deviations)")
        ax.set_ylabel("$z_2$ (standard deviations)")
        ax.set_title(name)
    axes[0, -1].legend(markerscale=4, loc="upper left", bbox_to_anchor=(1.02, 1), title="label")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.show()


@torch.no_grad()
def latent_grid(decoder, codes, n=15, title="Decoded images across the 2-D code space"):
    """Decode an n x n grid of 2-D codes spanning the 1st-99th percentile of ``codes``.

    Args:
        decoder: maps codes (B, 2) to images (B, 1, H, W).
        codes: codes of real images, shape (N, 2), which set the grid's extent.
    """
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"latent_grid needs 2-D codes of shape (N, 2), got {tuple(codes.shape)}.")
    low, high = torch.quantile(codes.float().cpu(), torch.tensor([0.01, 0.99]), dim=0)
    z1, z2 = (torch.linspace(low[i].item(), high[i].item(), n) for i in range(2))
    grid = torch.stack(torch.meshgrid(z1, z2.flip(0), indexing="xy"), dim=-1).reshape(-1, 2)
    images = predict(decoder, grid)
    side = images.shape[-1]
    mosaic = images.reshape(n, n, side, side).permute(0, 2, 1, 3).reshape(n * side, n * side)
    fig, ax = plt.subplots(figsize=(7, 7))
    ax.imshow(mosaic.numpy(), cmap="gray", interpolation="nearest", vmin=0, vmax=1,
              extent=(z1[0].item(), z1[-1].item(), z2[0].item(), z2[-1].item()), aspect="auto")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    fig.tight_layout()
    plt.show()


def loss_curves(histories, title="Loss per epoch", ylabel="loss per image"):
    """Training (solid) and test (dashed) loss per epoch of one or several runs.

    Args:
        histories: a :class:`aecourse.train.History`, or ``{label: History}``.
    """
    if not isinstance(histories, dict):
        histories = {"": histories}
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (label, history) in enumerate(histories.items()):
        colour = plt.get_cmap("tab10")(i % 10)
        epochs = range(1, len(history.train) + 1)
        prefix = f"{label} " if label else ""
        ax.plot(epochs, list(history.train), color=colour, label=prefix + "train")
        if history.test:
            ax.plot(epochs, history.test, color=colour, linestyle="--", label=prefix + "test")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    plt.show()
