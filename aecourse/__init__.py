"""aecourse: the helper package of a hands-on course on autoencoders in PyTorch.

The notebooks write the ideas (encoders, decoders, losses); this package holds
the plumbing: run profiles, bundled data, one training loop, metrics, baselines,
plots, widgets and exercise checks.
"""
import torch

from .profile import get_profile
from .train import default_device, seed_everything

__version__ = "0.1.0"


def setup(seed=0):
    """Start a notebook: seed everything, print the run profile and device, return the profile."""
    seed_everything(seed)
    profile = get_profile()
    print(f"aecourse {__version__} | {profile}\n"
          f"device: {default_device()} | torch {torch.__version__} | seed {seed}")
    return profile
