"""Reference models reused across notebooks (each notebook first writes its own)."""
import torch.nn as nn


class MLPAutoencoder(nn.Module):
    """A fully connected autoencoder with a mirrored decoder.

    Args:
        layer_sizes: encoder widths from input to code, e.g. ``(784, 128, 64, 32)``;
            the decoder uses them in reverse.
        activation: hidden-layer non-linearity (a module class such as ``nn.ReLU``).
        image_shape: shape of one input image, restored by the decoder.

    Shapes: ``encode`` maps (B, 1, 28, 28) to codes (B, layer_sizes[-1]);
    ``decode`` maps codes back to (B, 1, 28, 28) with pixels in (0, 1) (sigmoid output).
    """

    def __init__(self, layer_sizes=(784, 128, 64, 32), activation=nn.ReLU, image_shape=(1, 28, 28)):
        super().__init__()
        if len(layer_sizes) < 2:
            raise ValueError(f"layer_sizes needs at least an input and a code size, got {layer_sizes}.")
        self.encoder = nn.Sequential(nn.Flatten(), *_mlp(layer_sizes, activation))
        self.decoder = nn.Sequential(*_mlp(layer_sizes[::-1], activation), nn.Sigmoid(),
                                     nn.Unflatten(1, image_shape))

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        return self.decoder(h)

    def forward(self, x):
        return self.decode(self.encode(x))


def _mlp(sizes, activation):
    """Linear layers between consecutive sizes, with ``activation`` between (not after the last)."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), activation()]
    return layers[:-1]
