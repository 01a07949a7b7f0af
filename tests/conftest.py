import matplotlib
import pytest

matplotlib.use("Agg")  # figures are drawn but never shown in the unit tests


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
