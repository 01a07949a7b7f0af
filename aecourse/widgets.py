"""Interactive widgets: exercise feedback and explorers for trained models.

Every widget draws its pictures as ``ipywidgets.Image`` PNGs, so it updates fast
and keeps working headless (the images are plain bytes a test can compare).
"""
import html
import io

import ipywidgets as widgets
import torch
from PIL import Image

from torchvision.utils import make_grid

from . import noise
from .metrics import psnr, squared_error_per_image
from .train import predict

_COLOURS = {"correct": "#1a7f37", "incorrect": "#cf222e", "not attempted": "#6e7781"}


def image_png(image, scale=4):
    """PNG bytes of an image with values in [0, 1], enlarged ``scale`` times.

    ``image``: greyscale (1, H, W) or (H, W), or colour (3, H, W).
    """
    image = image.detach().cpu().clamp(0, 1).mul(255).round().byte()
    if image.ndim == 3 and image.shape[0] == 3:
        pixels = image.permute(1, 2, 0).numpy()
    else:
        pixels = image.reshape(image.shape[-2:]).numpy()
    picture = Image.fromarray(pixels).resize((pixels.shape[1] * scale, pixels.shape[0] * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _labelled(text, image):
    """An image widget under a bold caption."""
    return widgets.VBox([widgets.HTML(f"<b>{text}</b>"), image])


class _TextFallback:
    """Give a widget a readable text form for places that cannot show widgets (a static page)."""

    fallback_text = ""

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.fallback_text
        return bundle


class CheckFeedback(widgets.VBox):
    """Feedback on one exercise: status, what passed and failed, hints on request.

    "Check again" re-reads the answer by its name from the notebook and checks
    it anew; "Hint" reveals the next hint. Where widgets cannot be shown (a static
    page, a terminal), the same feedback appears as text.
    """

    def __init__(self, exercise, answer, result):
        self.exercise, self.answer, self.result = exercise, answer, result
        self.name = getattr(answer, "__name__", None)  # the notebook variable to re-read on "Check again"
        self.status = widgets.HTML()
        self.check_button = widgets.Button(description="Check again", icon="check")
        self.hint_button = widgets.Button(description="Hint", icon="lightbulb-o")
        self.hints = widgets.HTML()
        self.check_button.on_click(self._check_again)
        self.hint_button.on_click(self._show_hint)
        self._render()
        super().__init__([self.status, widgets.HBox([self.check_button, self.hint_button]), self.hints])

    def _current_answer(self):
        try:
            from IPython import get_ipython
            return get_ipython().user_ns.get(self.name, self.answer)
        except AttributeError:  # not inside IPython
            return self.answer

    def _check_again(self, _button=None):
        self.answer = self._current_answer()
        self.result = self.exercise.evaluate(self.answer)
        self._render()

    def _show_hint(self, _button=None):
        self.hints.value += f"<p>{html.escape(self.exercise.hint())}</p>"

    def _summary(self):
        status = self.result.status
        if status == "correct":
            return "Correct! The rest of the notebook uses your implementation."
        if status == "not attempted":
            return "Not solved yet: the rest of the notebook uses the reference implementation."
        return "Not quite: the rest of the notebook uses the reference implementation until this passes."

    def _render(self):
        r = self.result
        items = [f"<li>✔ {html.escape(d)}</li>" for d in r.passed]
        items += [f"<li>✘ {html.escape(d)}: {html.escape(why)}</li>" for d, why in r.failed]
        self.status.value = (f"<div style='border-left:4px solid {_COLOURS[r.status]};padding-left:8px'>"
                             f"<b style='color:{_COLOURS[r.status]}'>{html.escape(r.exercise)}: {r.status}</b>"
                             f"<br>{self._summary()}<ul>{''.join(items)}</ul></div>")

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{self.result}\n{self._summary()}"
        bundle["text/html"] = self.status.value
        return bundle


class LatentExplorer(_TextFallback, widgets.VBox):
    """Move through a latent space with one slider per code dimension; see the decoded image.

    Args:
        decoder: maps a code of shape (1, d) to an image of shape (1, 1, H, W).
        codes: codes of real images, shape (N, d); they set each slider's range
            (1st to 99th percentile) and starting point (the median).
    """

    fallback_text = "Latent explorer: run the notebook to move the sliders and watch the decoded image."

    def __init__(self, decoder, codes, max_sliders=8):
        if codes.ndim != 2:
            raise ValueError(f"codes must have shape (N, d), got {tuple(codes.shape)}")
        self.decoder = decoder
        low, middle, high = torch.quantile(codes.float(), torch.tensor([0.01, 0.5, 0.99]), dim=0)
        self.sliders = [widgets.FloatSlider(value=float(m), min=float(lo), max=float(hi), step=float(hi - lo) / 100,
                                            description=f"z[{i}]", continuous_update=True)
                        for i, (lo, m, hi) in enumerate(zip(low, middle, high))][:max_sliders]
        self.image = widgets.Image(format="png", width=168, height=168)
        for slider in self.sliders:
            slider.observe(self._update, names="value")
        self._update()
        super().__init__([widgets.HBox([widgets.VBox(self.sliders), self.image])])

    def code(self):
        """The code the sliders point at, shape (1, d)."""
        return torch.tensor([[s.value for s in self.sliders]])

    def _update(self, _change=None):
        self.image.value = image_png(predict(self.decoder, self.code())[0], scale=6)


class ReconstructionBrowser(_TextFallback, widgets.VBox):
    """Pick a model (e.g. a code size) and a test image; see the original, its reconstruction and the error.

    Args:
        models: ``{label: model}``; each model (a module or any function) maps
            (B, 1, H, W) to the same shape.
        images: tensor (N, 1, H, W) of images to choose from.
    """

    fallback_text = "Reconstruction browser: run the notebook to choose a model and an image."

    def __init__(self, models, images):
        self.models, self.images = models, images
        self.model_choice = widgets.Dropdown(options=list(models), description="model")
        self.index = widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image")
        self.original = widgets.Image(format="png", width=112, height=112)
        self.reconstruction = widgets.Image(format="png", width=112, height=112)
        self.error = widgets.HTML()
        for control in (self.model_choice, self.index):
            control.observe(self._update, names="value")
        self._update()
        super().__init__([widgets.HBox([self.model_choice, self.index]),
                          widgets.HBox([_labelled("original", self.original),
                                        _labelled("reconstruction", self.reconstruction)]),
                          self.error])

    @torch.no_grad()
    def _update(self, _change=None):
        x = self.images[self.index.value: self.index.value + 1]
        x_hat = predict(self.models[self.model_choice.value], x)
        self.original.value = image_png(x[0])
        self.reconstruction.value = image_png(x_hat[0])
        error = squared_error_per_image(x_hat, x).item()
        self.error.value = f"squared error of this image: <b>{error:.2f}</b> (summed over {x[0].numel()} pixels)"


class DenoisingExplorer(_TextFallback, widgets.VBox):
    """Choose a noise, its strength, a denoiser and a test image; see clean, noisy and denoised with PSNR.

    Args:
        models: ``{label: model}`` mapping noisy (B, 1, H, W) images to clean ones.
        images: clean images (N, 1, H, W) to choose from.
        levels: starting strength per noise type (sigma or p).
    """

    fallback_text = "Denoising explorer: run the notebook to choose the noise, its strength, the model and an image."

    def __init__(self, models, images, levels=None):
        self.models, self.images = models, images
        self.levels = levels or {"gaussian": 0.5, "salt_and_pepper": 0.2, "masking": 0.5}
        self.kind = widgets.Dropdown(options=list(noise.NOISES), value="gaussian", description="noise")
        self.level = widgets.FloatSlider(value=self.levels["gaussian"], min=0.0, max=1.0, step=0.05,
                                         description="strength")
        self.model_choice = widgets.Dropdown(options=list(models), description="denoiser")
        self.index = widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image")
        self.pictures = {name: widgets.Image(format="png", width=112, height=112)
                         for name in ("clean", "noisy", "denoised")}
        self.scores = widgets.HTML()
        self.kind.observe(self._new_kind, names="value")
        for control in (self.level, self.model_choice, self.index):
            control.observe(self._update, names="value")
        self._update()
        super().__init__([widgets.HBox([self.kind, self.level]), widgets.HBox([self.model_choice, self.index]),
                          widgets.HBox([_labelled(name, picture) for name, picture in self.pictures.items()]),
                          self.scores])

    def _new_kind(self, _change=None):
        level = self.levels[self.kind.value]
        if self.level.value == level:
            self._update()  # the slider stays put, so it will not redraw by itself
        else:
            self.level.value = level  # the slider's observer redraws

    @torch.no_grad()
    def _update(self, _change=None):
        x = self.images[self.index.value: self.index.value + 1]
        noisy = noise.corrupt(x, self.kind.value, self.level.value, generator=self.index.value)
        denoised = predict(self.models[self.model_choice.value], noisy)
        for name, image in (("clean", x), ("noisy", noisy), ("denoised", denoised)):
            self.pictures[name].value = image_png(image[0])
        self.scores.value = (f"PSNR noisy <b>{psnr(noisy, x).item():.1f} dB</b>, "
                             f"denoised <b>{psnr(denoised, x).item():.1f} dB</b>")


_STOP_AT = (torch.nn.Conv2d, torch.nn.Linear, torch.nn.Flatten)  # where a layer's own computation ends


class FeatureMapExplorer(_TextFallback, widgets.VBox):
    """Pick a test image and an encoder layer; see the image, its reconstruction and the layer's feature maps.

    Args:
        model: an autoencoder with an ``encoder`` (an ``nn.Sequential``) and a ``forward``
            that reconstructs its input.
        images: tensor (N, C, H, W) of images to choose from.
        max_maps: how many feature maps of a layer to show (the first ones).

    Each feature map is scaled to [0, 1] on its own (black: its smallest value, white: its largest).
    """

    fallback_text = "Feature-map explorer: run the notebook to pick an image and a layer."

    def __init__(self, model, images, max_maps=32):
        layers = [(i, layer) for i, layer in enumerate(model.encoder) if isinstance(layer, torch.nn.Conv2d)]
        if not layers:
            raise ValueError("model.encoder has no nn.Conv2d layer to show.")
        self.model, self.images, self.max_maps = model, images, max_maps
        self.layer = widgets.Dropdown(options=[(f"conv {k + 1} ({layer.out_channels} maps)", i)
                                               for k, (i, layer) in enumerate(layers)], description="layer")
        self.index = widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image")
        self.original = widgets.Image(format="png", width=112, height=112)
        self.reconstruction = widgets.Image(format="png", width=112, height=112)
        self.maps = widgets.Image(format="png")
        self.caption = widgets.HTML()
        for control in (self.layer, self.index):
            control.observe(self._update, names="value")
        self._update()
        super().__init__([widgets.HBox([self.layer, self.index]),
                          widgets.HBox([_labelled("original", self.original),
                                        _labelled("reconstruction", self.reconstruction)]),
                          self.caption, self.maps])

    def feature_maps(self):
        """Feature maps of the chosen layer (after its normalisation and activation, if any), shape (C, h, w)."""
        encoder, up_to = self.model.encoder, self.layer.value + 1
        while up_to < len(encoder) and not isinstance(encoder[up_to], _STOP_AT):
            up_to += 1  # include the normalisation and activation that follow the convolution
        x = self.images[self.index.value: self.index.value + 1]
        return predict(encoder[:up_to], x)[0]

    @torch.no_grad()
    def _update(self, _change=None):
        x = self.images[self.index.value: self.index.value + 1]
        self.original.value = image_png(x[0])
        self.reconstruction.value = image_png(predict(self.model, x)[0])
        maps = self.feature_maps()[: self.max_maps]
        grid = make_grid(maps.unsqueeze(1), nrow=8, padding=1, normalize=True, scale_each=True, pad_value=0.5)
        self.maps.value = image_png(grid, scale=max(1, 96 // maps.shape[-1]))
        self.caption.value = (f"<b>{len(maps)} feature maps of {maps.shape[-2]} x {maps.shape[-1]}</b> "
                              "(each scaled to its own range: white = strongest response)")
