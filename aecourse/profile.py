"""Run profiles: how much data and how many epochs a notebook uses.

``AECOURSE_PROFILE`` selects one of three profiles:

``test``    what the notebook tests run; each notebook in about a minute on 2 CPU cores.
``laptop``  the default; real results, each notebook in about five minutes on 2 CPU cores.
``full``    published-quality numbers; a GPU is welcome but not required.

Shared sizes (training and test images) live here; a notebook's own knobs stay
visible in the notebook through :meth:`Profile.pick`::

    EPOCHS = profile.pick(test=1, laptop=15, full=60)
"""
import os
from dataclasses import dataclass

ENV_VAR = "AECOURSE_PROFILE"
DEFAULT = "laptop"


@dataclass(frozen=True)
class Profile:
    """A named run profile.

    Attributes:
        name: ``"test"``, ``"laptop"`` or ``"full"``.
        n_train: number of training images a notebook uses.
        n_test: number of test images a notebook evaluates on.
    """

    name: str
    n_train: int
    n_test: int

    def pick(self, *, test, laptop, full):
        """Return the value given for this profile, e.g. an epoch count."""
        return {"test": test, "laptop": laptop, "full": full}[self.name]

    def __str__(self):
        return (f"profile '{self.name}': {self.n_train:,} training and {self.n_test:,} test images "
                f"(set {ENV_VAR}=test|laptop|full to change)")


PROFILES = {
    "test": Profile("test", n_train=2_000, n_test=1_000),
    "laptop": Profile("laptop", n_train=60_000, n_test=10_000),
    "full": Profile("full", n_train=60_000, n_test=10_000),
}


def get_profile(name=None):
    """Return the profile named ``name``, or the one ``AECOURSE_PROFILE`` selects.

    Raises:
        ValueError: for a name that is not a profile, listing the valid ones.
    """
    name = (name or os.environ.get(ENV_VAR) or DEFAULT).strip().lower()
    if name not in PROFILES:
        raise ValueError(f"Unknown run profile {name!r} (from {ENV_VAR}). "
                         f"Choose one of: {', '.join(PROFILES)}.")
    return PROFILES[name]
