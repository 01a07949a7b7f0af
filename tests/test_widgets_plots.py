from io import BytesIO

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

from aecourse import noise, plots, runtime, train
from aecourse.models import MLPAutoencoder
from aecourse.widgets import LatentExplorer, ReconstructionBrowser, image_png

EIGHT_BITS = 0.5 / 255 + 1e-6  # the most a PNG's pixel differs from the value it was rounded from


def shown(picture, scale=4):
    """The image a widget's PNG shows, shrunk back by ``scale``: a tensor (C, H, W) in [0, 1]."""
    pixels = torch.from_numpy(np.array(Image.open(BytesIO(picture.value))))[::scale, ::scale]
    return (pixels[None] if pixels.ndim == 2 else pixels.permute(2, 0, 1)).float() / 255


def shows(picture, image, scale=4):
    """Whether a widget's PNG shows ``image`` (C, H, W), up to the rounding to 8 bits."""
    return torch.allclose(shown(picture, scale), image.detach().clamp(0, 1), rtol=0, atol=EIGHT_BITS)


@pytest.mark.parametrize("size", [2, 8, 20, 64])
def test_latent_explorer_works_for_any_code_size(size):
    runtime.seed_everything(0)
    model = MLPAutoencoder((784, 16, size))
    codes = torch.randn(300, size) * torch.linspace(3, 0.1, size)  # more spread in the first numbers
    explorer = LatentExplorer(model.decoder, codes, max_sliders=8)
    assert len(explorer.sliders) == min(size, 8)
    assert explorer.code().shape == (1, size)
    assert shows(explorer.image, model.decoder(explorer.code())[0], scale=6)
    explorer.sliders[0].value = explorer.sliders[0].max
    assert shows(explorer.image, model.decoder(explorer.code())[0], scale=6)
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
    assert shows(explorer.image, model.decoder(explorer.code())[0], scale=6)


def test_latent_explorer_rejects_bad_codes():
    decoder = MLPAutoencoder((784, 16, 2)).decoder
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        LatentExplorer(decoder, torch.randn(10))
    with pytest.raises(ValueError, match="N >= 2"):
        LatentExplorer(decoder, torch.randn(1, 2))


def test_reconstruction_browser_shows_the_chosen_image_and_the_chosen_models_output():
    models = {"flipped": lambda x: x.flip(-1), "inverted": lambda x: 1 - x}
    images = torch.rand(5, 1, 28, 28)
    browser = ReconstructionBrowser(models, images)
    assert shows(browser.original, images[0]) and shows(browser.reconstruction, images[0].flip(-1))
    browser.index.value = 3
    assert shows(browser.original, images[3]) and shows(browser.reconstruction, images[3].flip(-1))
    browser.model_choice.value = "inverted"
    assert shows(browser.original, images[3]) and shows(browser.reconstruction, 1 - images[3])
    assert browser.error.value.startswith("squared error of this image: <b>")
    error = float(browser.error.value.split("<b>")[1].split("</b>")[0])  # shown with 2 decimals
    assert error == pytest.approx((1 - 2 * images[3]).pow(2).sum().item(), abs=0.01)


def test_image_png_is_a_png_of_the_requested_size():
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
    assert ax.get_xlabel() == "epoch"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["run train", "run test"]
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


def shows_the_choice(explorer):
    """Whether a DenoisingExplorer shows the chosen image, its noisy version (seeded by the image's index) and
    the chosen denoiser's output."""
    i = explorer.index.value
    clean = explorer.images[i: i + 1]
    noisy = noise.corrupt(clean, explorer.kind.value, explorer.level.value, generator=i)
    denoised = explorer.models[explorer.model_choice.value](noisy)
    return all(shows(explorer.pictures[name], image[0])
               for name, image in (("clean", clean), ("noisy", noisy), ("denoised", denoised)))


def test_denoising_explorer_follows_noise_strength_model_and_image():
    from aecourse.widgets import DenoisingExplorer

    explorer = DenoisingExplorer({"flipped": lambda x: x.flip(-1), "inverted": lambda x: 1 - x},
                                 torch.rand(5, 1, 28, 28))
    assert shows_the_choice(explorer)
    explorer.kind.value = "masking"
    assert explorer.level.value == 0.5 and shows_the_choice(explorer)
    explorer.level.value = 0.9
    assert shows_the_choice(explorer)
    explorer.model_choice.value = "inverted"
    assert shows_the_choice(explorer)
    explorer.index.value = 2
    assert shows_the_choice(explorer)
    assert "PSNR noisy" in explorer.scores.value and "run the notebook" in explorer._repr_mimebundle_()["text/plain"]


def test_denoising_explorer_gives_each_noise_its_own_level_range():
    from aecourse.widgets import DenoisingExplorer

    explorer = DenoisingExplorer({"a": MLPAutoencoder((784, 16, 8))}, torch.rand(3, 1, 28, 28),
                                 levels={"gaussian": 0.5, "poisson": 20, "speckle": 1.5})
    assert list(explorer.kind.options) == ["gaussian", "poisson", "speckle"]
    explorer.kind.value = "poisson"
    assert (explorer.level.description, explorer.level.min, explorer.level.max, explorer.level.value) == \
        ("peak", 1.0, 100.0, 20)
    explorer.level.value = 3
    assert shows_the_choice(explorer)
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

    model, images = Model(), torch.rand(4, 1, 28, 28)
    explorer = FeatureMapExplorer(model, images)
    assert [label for label, _ in explorer.layer.options] == ["conv 1 (8 maps)", "conv 2 (4 maps)"]
    assert explorer.feature_maps().shape == (8, 14, 14)
    explorer.index.value = 3
    model.eval()  # as the widget computes (showing feature maps leaves the encoder's layers in training mode)
    maps, reconstruction = model.encoder[:3](images[3:4])[0], model(images[3:4])[0]  # maps after the norm and ReLU
    assert shows(explorer.original, images[3]) and shows(explorer.reconstruction, reconstruction)
    first = (maps[0] - maps[0].min()) / (maps[0].max() - maps[0].min())  # each map scaled to [0, 1] on its own
    assert torch.allclose(shown(explorer.maps, scale=96 // 14)[:, 1:15, 1:15], first, rtol=0, atol=EIGHT_BITS)
    assert torch.allclose(explorer.feature_maps(), maps)
    explorer.layer.value = 3
    assert explorer.feature_maps().shape == (4, 7, 7) and "4 feature maps of 7 x 7" in explorer.caption.value
    with pytest.raises(ValueError, match="no nn.Conv2d"):
        FeatureMapExplorer(MLPAutoencoder((784, 8)), torch.rand(2, 1, 28, 28))


def test_image_png_draws_colour_images():
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

    images = torch.rand(6, 1, 28, 28)
    explorer = InterpolationExplorer({"pixels": (lambda x: x.flatten(1), lambda z: z.view(-1, 1, 28, 28))}, images)
    assert shows(explorer.pictures["pixels"], 0.5 * images[0] + 0.5 * images[1])
    explorer.end.value = 5
    assert shows(explorer.pictures["pixels"], 0.5 * images[0] + 0.5 * images[5])
    explorer.t.value = 0.25
    assert shows(explorer.pictures["pixels"], 0.75 * images[0] + 0.25 * images[5])
    assert shows(explorer.ends["from"], images[0], scale=3) and shows(explorer.ends["to"], images[5], scale=3)
    filters, codes, images = torch.randn(20, 1, 28, 28), torch.relu(torch.randn(50, 20)), torch.rand(50, 1, 28, 28)
    units = UnitExplorer({"m": (filters, codes)}, images, labels=torch.arange(50) % 10)
    units.rank.value = 5
    unit = units.unit()
    drawn = (filters[unit] - filters[unit].min()) / (filters[unit].max() - filters[unit].min())
    strongest = images[codes[:, unit].argmax()]  # the first image of the gallery
    assert shows(units.filter, drawn) and "labels of the top images" in units.caption.value
    assert torch.allclose(shown(units.gallery, scale=3)[:, 1:29, 1:29], strongest, rtol=0, atol=EIGHT_BITS)
    with pytest.raises(ValueError, match="expected filters"):
        UnitExplorer({"m": (torch.randn(3, 1, 28, 28), codes)}, torch.rand(50, 1, 28, 28))
