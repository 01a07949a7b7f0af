import matplotlib.pyplot as plt
import pytest
import torch

from aecourse import plots, runtime, train
from aecourse.models import MLPAutoencoder
from aecourse.widgets import LatentExplorer, ReconstructionBrowser, image_png


@pytest.mark.parametrize("size", [2, 8, 20, 64])
def test_latent_explorer_works_for_any_code_size(size):
    runtime.seed_everything(0)
    model = MLPAutoencoder((784, 16, size))
    codes = torch.randn(300, size) * torch.linspace(3, 0.1, size)  # more spread in the first numbers
    explorer = LatentExplorer(model.decoder, codes, max_sliders=8)
    assert len(explorer.sliders) == min(size, 8)
    assert explorer.code().shape == (1, size)
    before = explorer.image.value
    explorer.sliders[0].value = explorer.sliders[0].max
    assert explorer.image.value != before
    assert "run the notebook" in explorer._repr_mimebundle_()["text/plain"]  # for static pages
    if size <= 8:
        assert explorer.mode is None and explorer.sliders[0].description == "z[0]"
        assert explorer.code()[0, 0] == pytest.approx(explorer.sliders[0].max)
        return
    # longer codes: sliders along the principal directions, starting at the mean code
    assert explorer.sliders[0].description.startswith("PC 1 (")
    explorer.sliders[0].value = 0.0
    assert torch.allclose(explorer.code()[0], codes.mean(0), atol=1e-5)
    explorer.sliders[0].value = 2.0  # two standard deviations along the first direction
    step = explorer.code()[0] - codes.mean(0)
    assert step.norm() == pytest.approx(2 * codes.std(0)[0].item(), rel=0.15)
    # or single numbers, chosen by window; the others stay at their medians
    explorer.mode.value = "numbers"
    explorer.window.value = 8
    assert [s.description for s in explorer.sliders[:2]] == ["z[8]", "z[9]"]
    explorer.sliders[1].value = explorer.sliders[1].max
    code = explorer.code()[0]
    assert code[9] == pytest.approx(explorer.sliders[1].max) and code[0] == pytest.approx(explorer.median[0].item())


def test_latent_explorer_rejects_bad_codes():
    decoder = MLPAutoencoder((784, 16, 2)).decoder
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        LatentExplorer(decoder, torch.randn(10))
    with pytest.raises(ValueError, match="N >= 2"):
        LatentExplorer(decoder, torch.randn(1, 2))


def test_reconstruction_browser_follows_model_and_image_choice():
    models = {"two": MLPAutoencoder((784, 16, 2)), "eight": MLPAutoencoder((784, 16, 8))}
    images = torch.rand(5, 1, 28, 28)
    browser = ReconstructionBrowser(models, images)
    first_original, first_recon = browser.original.value, browser.reconstruction.value
    browser.index.value = 3
    assert browser.original.value != first_original
    recon_two = browser.reconstruction.value
    browser.model_choice.value = "eight"
    assert browser.reconstruction.value not in (recon_two, first_recon)
    assert "squared error" in browser.error.value


def test_image_png_is_a_png_of_the_requested_size():
    from io import BytesIO

    from PIL import Image

    png = image_png(torch.rand(1, 28, 28), scale=3)
    assert Image.open(BytesIO(png)).size == (84, 84)


def test_plots_have_titles_labels_and_legends():
    codes, labels = torch.randn(200, 3), torch.arange(200) % 10
    plots.latent_scatter(codes, labels, title="three")
    ax = plt.gcf().axes[0]
    assert ax.get_title() == "three" and ax.get_zlabel() and ax.get_legend() is not None
    plots.latent_scatter(codes[:, :2], labels, title="two")
    assert len(plt.gcf().axes[0].get_legend().get_texts()) == 10
    history = train.History(train=[3.0, 2.0], test=[3.5, 2.5])
    plots.loss_curves({"run": history}, title="losses")
    ax = plt.gcf().axes[0]
    assert ax.get_xlabel() == "epoch" and [t.get_text() for t in ax.get_legend().get_texts()] == ["run train", "run test"]
    x = torch.rand(4, 1, 28, 28)
    plots.reconstructions(x, x, n=3)
    assert len(plt.gcf().axes) == 6
    plots.latent_grid(MLPAutoencoder((784, 8, 2)).decoder, torch.randn(50, 2), n=4)
    assert plt.gcf().axes[0].get_xlabel() == "$z_1$"
    plots.latent_scatters({"one": codes[:, :2], "two": 100 * codes[:, 1:]}, labels, title="both")
    assert [ax.get_title() for ax in plt.gcf().axes] == ["one", "two"] and plt.gcf().axes[0].get_xlim() == (-4, 4)
    plots.image_rows({"a": x, "b": x}, n=3, captions={"b": ["one", "two", "three"]})
    assert [ax.get_title() for ax in plt.gcf().axes] == ["", "", "", "one", "two", "three"]


def test_plots_reject_bad_shapes():
    with pytest.raises(ValueError, match=r"\(N, 2\) or \(N, 3\)"):
        plots.latent_scatter(torch.randn(10, 5), torch.zeros(10, dtype=torch.long))
    with pytest.raises(ValueError, match="same shape"):
        plots.reconstructions(torch.rand(3, 1, 28, 28), torch.rand(3, 784))
    with pytest.raises(ValueError, match=r"latent_scatters draws codes of shape \(N, 2\)"):
        plots.latent_scatters({"three": torch.randn(10, 3)}, torch.zeros(10, dtype=torch.long))
    with pytest.raises(ValueError, match="captions for rows that do not exist"):
        plots.image_rows({"a": torch.rand(2, 1, 4, 4)}, captions={"b": ["x"]})


def test_denoising_explorer_follows_noise_strength_model_and_image():
    from aecourse.widgets import DenoisingExplorer

    models = {"a": MLPAutoencoder((784, 16, 8)), "b": MLPAutoencoder((784, 16, 4))}
    explorer = DenoisingExplorer(models, torch.rand(5, 1, 28, 28))
    noisy, denoised = explorer.pictures["noisy"].value, explorer.pictures["denoised"].value
    explorer.kind.value = "masking"
    assert explorer.level.value == 0.5 and explorer.pictures["noisy"].value != noisy
    noisy = explorer.pictures["noisy"].value
    explorer.level.value = 0.9
    assert explorer.pictures["noisy"].value != noisy
    explorer.model_choice.value = "b"
    assert explorer.pictures["denoised"].value != denoised
    explorer.index.value = 2
    assert "PSNR noisy" in explorer.scores.value and "run the notebook" in explorer._repr_mimebundle_()["text/plain"]


def test_denoising_explorer_gives_each_noise_its_own_level_range():
    from aecourse.widgets import DenoisingExplorer

    explorer = DenoisingExplorer({"a": MLPAutoencoder((784, 16, 8))}, torch.rand(3, 1, 28, 28),
                                 levels={"gaussian": 0.5, "poisson": 20, "speckle": 1.5})
    assert list(explorer.kind.options) == ["gaussian", "poisson", "speckle"]
    explorer.kind.value = "poisson"
    assert (explorer.level.description, explorer.level.min, explorer.level.max, explorer.level.value) == \
        ("peak", 1.0, 100.0, 20)
    noisy = explorer.pictures["noisy"].value
    explorer.level.value = 3
    assert explorer.pictures["noisy"].value != noisy
    explorer.kind.value = "speckle"
    assert (explorer.level.description, explorer.level.max, explorer.level.value) == ("sigma", 2.0, 1.5)
    explorer.kind.value = "gaussian"
    assert (explorer.level.max, explorer.level.value) == (1.0, 0.5)
    with pytest.raises(ValueError, match="Unknown noise"):
        DenoisingExplorer({"a": MLPAutoencoder((784, 16, 8))}, torch.rand(3, 1, 28, 28), levels={"blur": 1})


def test_feature_map_explorer_follows_image_and_layer():
    from aecourse.widgets import FeatureMapExplorer

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, 2, 1), torch.nn.BatchNorm2d(8),
                                               torch.nn.ReLU(), torch.nn.Conv2d(8, 4, 3, 2, 1), torch.nn.Flatten())
            self.decoder = torch.nn.Sequential(torch.nn.Linear(196, 784), torch.nn.Sigmoid(),
                                               torch.nn.Unflatten(1, (1, 28, 28)))

        def forward(self, x):
            return self.decoder(self.encoder(x))

    explorer = FeatureMapExplorer(Model(), torch.rand(4, 1, 28, 28))
    assert [label for label, _ in explorer.layer.options] == ["conv 1 (8 maps)", "conv 2 (4 maps)"]
    maps = explorer.feature_maps()
    assert maps.shape == (8, 14, 14) and maps.min() >= 0  # after the batch norm and the ReLU
    before = explorer.maps.value, explorer.original.value
    explorer.index.value = 3
    assert explorer.maps.value != before[0] and explorer.original.value != before[1]
    explorer.layer.value = 3
    assert explorer.feature_maps().shape == (4, 7, 7) and "4 feature maps of 7 x 7" in explorer.caption.value
    with pytest.raises(ValueError, match="no nn.Conv2d"):
        FeatureMapExplorer(MLPAutoencoder((784, 8)), torch.rand(2, 1, 28, 28))


def test_image_png_draws_colour_images():
    from io import BytesIO

    from PIL import Image

    picture = Image.open(BytesIO(image_png(torch.rand(3, 32, 32), scale=2)))
    assert picture.size == (64, 64) and picture.mode == "RGB"


def test_code_snapshots_step_through_epochs():
    from aecourse.widgets import CodeSnapshots

    snapshots = [torch.randn(100, 2) * scale for scale in (0.1, 1.0, 3.0)]
    widget = CodeSnapshots(snapshots, torch.arange(100) % 10, torch.randn(200, 2))
    assert (widget.epoch.value, widget.epoch.max) == (0, 2) and widget.image.value[:4] == b"\x89PNG"
    start = widget.image.value  # before training
    widget.epoch.value = 2
    assert widget.image.value != start
    with pytest.raises(ValueError, match="2-D codes"):
        CodeSnapshots([torch.randn(5, 3), torch.randn(5, 3)], torch.zeros(5), torch.randn(5, 2))
    with pytest.raises(ValueError, match="at least two"):
        CodeSnapshots([torch.randn(5, 2)], torch.zeros(5), torch.randn(5, 2))


def test_interpolation_and_unit_explorers_follow_their_controls():
    from aecourse.widgets import InterpolationExplorer, UnitExplorer

    model = MLPAutoencoder((784, 16, 4))
    explorer = InterpolationExplorer({"a": (model.encoder, model.decoder)}, torch.rand(6, 1, 28, 28))
    before = explorer.pictures["a"].value
    explorer.end.value = 5
    assert explorer.pictures["a"].value != before and explorer.decoded("a").shape == (1, 28, 28)
    codes = torch.relu(torch.randn(50, 20))
    units = UnitExplorer({"m": (torch.randn(20, 1, 28, 28), codes)}, torch.rand(50, 1, 28, 28),
                         labels=torch.arange(50) % 10)
    gallery = units.gallery.value
    units.rank.value = 5
    assert units.gallery.value != gallery and "labels of the top images" in units.caption.value
    with pytest.raises(ValueError, match="expected filters"):
        UnitExplorer({"m": (torch.randn(3, 1, 28, 28), codes)}, torch.rand(50, 1, 28, 28))
