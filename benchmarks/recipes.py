"""The training-recipe table of notebook 02: what each piece of the deep autoencoder's recipe is worth.

Hinton & Salakhutdinov's MNIST autoencoder (784-1000-500-250-30, mirrored, logistic outputs), trained
from random weights. Every row changes one thing against the row above it; the last row is the recipe
notebook 02 uses. Prints a Markdown table: squared error per MNIST test image (the notebook's unit),
mean over the seeds, with the spread when there is more than one seed. One seed of 8 epochs takes about
a minute and a half per row on a 2-core CPU (fit also prints a line per run).

    python benchmarks/recipes.py              # 8 epochs, seed 0 (about 9 minutes)
    python benchmarks/recipes.py --seeds 3    # mean and spread over seeds 0, 1, 2
"""
import argparse
import statistics

import torch
import torch.nn as nn
import torch.nn.functional as F

from aecourse import data, metrics
from aecourse.runtime import seed_everything
from aecourse.train import fit

# (what this row changes, settings): each row starts from the one above it
RECIPES = [
    ("no batch norm, squared-error loss, Adam at a constant rate 1e-3, batches of 128",
     dict(batch_norm=False, loss="squared error", lr=1e-3, batch_size=128, schedule="constant", weight_decay=0.0)),
    ("batch norm after every hidden layer", dict(batch_norm=True)),
    ("cross-entropy loss instead of squared error", dict(loss="cross-entropy")),
    ("learning rate 5e-3 instead of 1e-3", dict(lr=5e-3)),
    ("batches of 256 instead of 128", dict(batch_size=256)),
    ("one-cycle schedule instead of a constant rate", dict(schedule="one-cycle")),
    ("weight decay 0.01 (AdamW): the recipe of notebook 02", dict(weight_decay=0.01)),
]


class DeepAutoencoder(nn.Module):
    """784-1000-500-250-30 and back; ReLU hidden layers, optionally batch-normalised; returns logits (B, 784)."""

    def __init__(self, batch_norm, code_size=30):
        super().__init__()

        def layers(sizes):
            out = []
            for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
                out += [nn.Linear(n_in, n_out)] + ([nn.BatchNorm1d(n_out)] if batch_norm else []) + [nn.ReLU()]
            return out + [nn.Linear(sizes[-2], sizes[-1])]

        self.encoder = nn.Sequential(nn.Flatten(), *layers([784, 1000, 500, 250, code_size]))
        self.decoder = nn.Sequential(*layers([code_size, 250, 500, 1000, 784]))

    def forward(self, x):
        return torch.sigmoid(self.decoder(self.encoder(x))).view(-1, 1, 28, 28)


def loss_function(name):
    """``loss(model, x)``: per-image sum over pixels, averaged over the batch."""
    if name == "cross-entropy":
        return lambda model, x: F.binary_cross_entropy_with_logits(
            model.decoder(model.encoder(x)), x.flatten(1), reduction="sum") / len(x)
    return lambda model, x: (model(x) - x).pow(2).flatten(1).sum(1).mean()


def run(settings, x_train, x_test, epochs, seed):
    seed_everything(seed)
    model = DeepAutoencoder(settings["batch_norm"])
    history = fit(model, x_train, loss_function(settings["loss"]), epochs=epochs, lr=settings["lr"],
                  batch_size=settings["batch_size"], schedule=settings["schedule"],
                  weight_decay=settings["weight_decay"], seed=seed, desc="recipe")
    return metrics.reconstruction_error(model, x_test), history.seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0 .. seeds-1 per row")
    args = parser.parse_args()
    x_train, _ = data.load("mnist", "train")
    x_test, _ = data.load("mnist", "test")
    settings = {}
    print(f"| change (each row keeps the rows above) | error ({args.epochs} epochs, {args.seeds} seed"
          f"{'s' if args.seeds > 1 else ''}) | seconds per run |")
    print("|---|---|---|")
    for change, update in RECIPES:
        settings = {**settings, **update}
        runs = [run(settings, x_train, x_test, args.epochs, seed) for seed in range(args.seeds)]
        errors = [error for error, _ in runs]
        shown = f"{statistics.mean(errors):.2f}" + (f" ± {statistics.stdev(errors):.2f}" if len(errors) > 1 else "")
        print(f"| {change} | {shown} | {statistics.mean(s for _, s in runs):.0f} |", flush=True)


if __name__ == "__main__":
    main()
