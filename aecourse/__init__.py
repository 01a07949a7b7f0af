"""aecourse: the helper package of a hands-on course on autoencoders in PyTorch.

The notebooks write the ideas (encoders, decoders, losses); this package holds
the plumbing: run profiles, bundled data, one training loop, metrics, baselines,
plots, widgets, results tables and exercise checks.
"""
from importlib.metadata import version

import torch

from .profile import get_profile
from .runtime import default_device, seed_everything

__version__ = version("aecourse")  # one place: pyproject.toml


def setup(seed=0, graded=False):
    """Start a notebook: seed everything, print the run profile and device, return the profile.

    Args:
        seed: seeds Python, NumPy and PyTorch once, at the top of the notebook; every later
            cell's random numbers follow from it (the package's own evaluation, plotting and
            checking never draw from these generators).
        graded: True in a graded release (set by ``python -m aecourse.grading release``):
            the exercise checks then never show solutions.
    """
    from .exercises.outcome import set_graded

    seed_everything(seed)
    set_graded(graded)
    profile = get_profile()
    print(f"aecourse {__version__} | {profile}\n"
          f"device: {default_device()} | torch {torch.__version__} | seed {seed}"
          + (" | graded release: solutions are not shown" if graded else ""))
    return profile
