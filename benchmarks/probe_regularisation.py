"""Choose the linear probe's L2 weight for notebook 05 on a validation split, never on the test set.

Trains the notebook's four 1,000-unit codes of MNIST (dense, L1 with lambda = 0.1, KL with rho = 0.05 and
beta = 3, top-k with k = 25, tied start and revival) for 4 epochs on all 60,000 training images, then fits the
probe on the codes of the first 50,000 and scores it on the last 10,000, for several L2 weights; the raw pixels
too. About 10 minutes on a 2-core CPU:

    .venv/bin/python benchmarks/probe_regularisation.py

Measured on 2026-11-29 with the prototype this script was written from (same models, recipe and split; the
script itself has not been re-run since, so expect small differences) (validation error, %; the notebook uses 1e-3):

    code              1e-4   1e-3   3e-3
    dense             6.83   6.67   6.85
    L1                2.27   1.96   2.04
    KL                3.64   3.67   3.84
    top-k, k          4.01   3.33   3.11
    top-k, 3k         3.09   2.55   2.41
    pixels            7.09   7.03   7.01
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from aecourse import data, losses, sparsity
from aecourse.probe import linear_probe
from aecourse.runtime import predict, seed_everything
from aecourse.train import fit

L2_WEIGHTS = (1e-4, 1e-3, 3e-3)


class Code(nn.Module):
    """784 -> 1000 -> 784 with the notebook's activations: "relu", "sigmoid" or "topk"."""

    def __init__(self, kind, width=1000, k=25):
        super().__init__()
        self.encoder, self.decoder, self.kind, self.k = nn.Linear(784, width), nn.Linear(width, 784), kind, k
        if kind == "topk":  # the tied start
            columns = F.normalize(torch.randn(784, width), dim=0)
            with torch.no_grad():
                self.decoder.weight.copy_(columns)
                self.encoder.weight.copy_(columns.T)
                self.encoder.bias.zero_()

    def encode(self, x, k=None):
        h = self.encoder(x.flatten(1))
        if self.kind == "sigmoid":
            return torch.sigmoid(h)
        if self.kind == "topk":
            return sparsity.top_k(h, k or self.k).relu()
        return h.relu()

    def forward(self, x):
        return torch.sigmoid(self.decoder(self.encode(x))).view(-1, 1, 28, 28)


def main():
    x_train, y_train = data.load("mnist", "train")
    fit_codes = slice(0, 50_000)
    validation = slice(50_000, 60_000)

    def squared_error(model, x):
        return (model(x) - x).pow(2).flatten(1).sum(1).mean()

    def revive(epoch, model, history):
        if epoch == history.epochs:
            return
        dead = predict(model.encode, x_train[:10_000]).amax(0) <= 0
        picked = x_train[torch.randint(len(x_train), (int(dead.sum()),))].flatten(1).to(model.encoder.weight.device)
        directions = F.normalize(picked - picked.mean(0), dim=1)
        model.encoder.weight[dead] = directions * model.encoder.weight[~dead].norm(dim=1).mean()
        model.encoder.bias[dead] = 0
        model.decoder.weight[:, dead] = 0.1 * directions.T

    objectives = {
        "dense": ("relu", squared_error),
        "L1": ("relu", lambda m, x: squared_error(m, x)
                                    + 0.1 * (m.encode(x) * m.decoder.weight.norm(dim=0)).sum(1).mean()),
        "KL": ("sigmoid", lambda m, x: squared_error(m, x) + losses.kl_sparsity(m.encode(x), 0.05, 3.0)),
        "top-k": ("topk", squared_error),
    }
    rows = {}
    for name, (kind, loss) in objectives.items():
        seed_everything(0)
        model = Code(kind)
        fit(model, x_train, loss, epochs=4, desc=name, after_epoch=revive if kind == "topk" else None)
        encodings = {name: model.encode} if kind != "topk" else {
            "top-k, k": model.encode, "top-k, 3k": lambda x, m=model: m.encode(x, 3 * m.k)}
        for label, encode in encodings.items():
            codes = predict(encode, x_train)
            rows[label] = [linear_probe(codes[fit_codes], y_train[fit_codes], codes[validation], y_train[validation],
                                        l2=l2).test_error for l2 in L2_WEIGHTS]
    pixels = x_train.flatten(1)
    rows["pixels"] = [linear_probe(pixels[fit_codes], y_train[fit_codes], pixels[validation], y_train[validation],
                                   l2=l2).test_error for l2 in L2_WEIGHTS]
    print(f"{'code':16}" + "".join(f"{l2:>7g}" for l2 in L2_WEIGHTS))
    for label, errors in rows.items():
        print(f"{label:16}" + "".join(f"{100 * e:7.2f}" for e in errors))


if __name__ == "__main__":
    main()
