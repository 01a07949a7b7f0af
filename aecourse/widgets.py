"""Interactive widgets: explorers for trained models.

Every widget draws its pictures as ``ipywidgets.Image`` PNGs, so it updates fast
and keeps working headless (the images are plain bytes a test can compare).
Images to choose from are kept on the CPU; models may live on any device.
(The exercise feedback widget lives beside the exercises, in
:mod:`aecourse.exercises.feedback`.)
"""
import io

import ipywidgets as widgets
import torch
from PIL import Image
from torchvision.utils import make_grid

from . import noise
from .metrics import psnr, squared_error_per_image
from .runtime import predict


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


class LatentExplorer(_TextFallback, widgets.VBox):
    """Move through a code space with sliders and watch the decoded image.

    Codes of up to ``max_sliders`` numbers get one slider per number, ``z[0]``, ``z[1]``, ...,
    each spanning the 1st to 99th percentile of that number over ``codes`` and starting at
    its median. Longer codes (a VAE's 20, a sparse code's 1000) offer two ways to move:

    - **principal directions** (the default): one slider per direction in which the codes
      vary most (a PCA of ``codes``), labelled with the share of the variance it explains;
      a slider moves the code from the mean code along its direction, in units of the
      codes' standard deviation along it (-3 to 3);
    - **single numbers**: sliders for ``max_sliders`` numbers at a time, chosen from a
      list; the other numbers stay at their medians.

    Args:
        decoder: maps codes (B, d) to images (B, C, H, W).
        codes: codes of real images, shape (N, d) with N >= 2.
        max_sliders: most sliders shown at once.
    """

    fallback_text = "Latent explorer: run the notebook to move the sliders and watch the decoded image."

    def __init__(self, decoder, codes, max_sliders=8):
        if not isinstance(codes, torch.Tensor) or codes.ndim != 2 or len(codes) < 2:
            raise ValueError(f"codes must be a tensor of shape (N, d) with N >= 2, got "
                             f"{tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes).__name__}.")
        if not (isinstance(max_sliders, int) and max_sliders >= 1):
            raise ValueError(f"max_sliders must be a positive integer, got {max_sliders!r}.")
        codes = codes.detach().float().cpu()
        self.decoder, self.size = decoder, codes.shape[1]
        self.low, self.median, self.high = torch.quantile(codes, torch.tensor([0.01, 0.5, 0.99]), dim=0)
        self.mean = codes.mean(0)
        _, singular, directions = torch.linalg.svd(codes - self.mean, full_matrices=False)
        count = min(max_sliders, len(directions))
        self.directions = directions[:count]  # (count, d), rows of unit length
        self.spreads = singular[:count] / (len(codes) - 1) ** 0.5  # standard deviation along each direction
        self.explained = singular[:count] ** 2 / singular.pow(2).sum().clamp(min=1e-12)
        self.sliders = [widgets.FloatSlider(continuous_update=True, readout_format=".2f")
                        for _ in range(min(max_sliders, self.size))]
        controls = []
        self.mode = self.window = None
        if self.size > max_sliders:
            self.mode = widgets.ToggleButtons(options=[("principal directions", "principal"),
                                                       ("single numbers", "numbers")], description="move along")
            self.window = widgets.Dropdown(
                options=[(f"z[{start}] to z[{min(start + max_sliders, self.size) - 1}]", start)
                         for start in range(0, self.size, max_sliders)], description="numbers")
            self.mode.observe(self._configure, names="value")
            self.window.observe(self._configure, names="value")
            controls = [widgets.HBox([self.mode, self.window])]
        self.image = widgets.Image(format="png", width=168, height=168)
        self.caption = widgets.HTML()
        self._quiet = False
        for slider in self.sliders:
            slider.observe(self._update, names="value")
        self._configure()
        picture = widgets.VBox([self.image, self.caption])
        super().__init__(controls + [widgets.HBox([widgets.VBox(self.sliders), picture])])

    def _configure(self, _change=None):
        """Give the sliders the labels, ranges and start values of the chosen way to move."""
        self._quiet = True
        try:
            for i, slider in enumerate(self.sliders):
                if self._principal():
                    visible = i < len(self.directions)
                    low, value, high = -3.0, 0.0, 3.0
                    slider.description = f"PC {i + 1} ({self.explained[i]:.0%})" if visible else ""
                else:
                    k = self._first() + i
                    visible = k < self.size
                    k = min(k, self.size - 1)
                    low, value, high = float(self.low[k]), float(self.median[k]), float(self.high[k])
                    high = high if high > low else low + 1e-6
                    slider.description = f"z[{k}]"
                slider.min, slider.max = -1e9, 1e9  # widen first, so the new range is always accepted
                slider.min, slider.max, slider.step, slider.value = low, high, (high - low) / 100, value
                slider.layout.visibility = "visible" if visible else "hidden"
        finally:
            self._quiet = False
        self._update()

    def _principal(self):
        return self.mode is not None and self.mode.value == "principal"

    def _first(self):
        return self.window.value if self.window is not None else 0

    def code(self):
        """The code the sliders point at, shape (1, d)."""
        if self._principal():
            steps = torch.tensor([s.value for s in self.sliders[: len(self.directions)]]) * self.spreads
            return (self.mean + steps @ self.directions).unsqueeze(0)
        code = self.median.clone()
        for i, slider in enumerate(self.sliders):
            if self._first() + i < self.size:
                code[self._first() + i] = slider.value
        return code.unsqueeze(0)

    def _update(self, _change=None):
        if self._quiet:
            return
        self.image.value = image_png(predict(self.decoder, self.code())[0], scale=6)
        self.caption.value = (f"decoded from a code of {self.size} numbers" if not self._principal() else
                              f"mean code + sliders x standard deviation along each direction "
                              f"({float(self.explained.sum()):.0%} of the variance)")


class ReconstructionBrowser(_TextFallback, widgets.VBox):
    """Pick a model (e.g. a code size) and a test image; see the original, its reconstruction and the error.

    Args:
        models: ``{label: model}``; each model (a module or any function) maps
            (B, 1, H, W) to the same shape.
        images: tensor (N, 1, H, W) of images to choose from.
    """

    fallback_text = "Reconstruction browser: run the notebook to choose a model and an image."

    def __init__(self, models, images):
        self.models, self.images = models, images.detach().cpu()
        self.model_choice = widgets.Dropdown(options=list(models), description="model")
        self.index = widgets.IntSlider(value=0, min=0, max=len(self.images) - 1, description="image")
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
        levels: ``{noise name: starting level}`` for the noises to offer (sigma, p or peak; see
            ``aecourse.noise.LEVELS``); default Gaussian 0.5, salt-and-pepper 0.2, masking 0.5.
    """

    fallback_text = "Denoising explorer: run the notebook to choose the noise, its strength, the model and an image."

    def __init__(self, models, images, levels=None):
        self.models, self.images = models, images.detach().cpu()
        self.levels = levels or {"gaussian": 0.5, "salt_and_pepper": 0.2, "masking": 0.5}
        unknown = set(self.levels) - set(noise.NOISES)
        if unknown:
            raise ValueError(f"Unknown noise {sorted(unknown)}: choose from {', '.join(noise.NOISES)}.")
        first = next(iter(self.levels))
        self.kind = widgets.Dropdown(options=list(self.levels), value=first, description="noise")
        self.level = widgets.FloatSlider(description="strength")
        self._set_range(first)
        self.model_choice = widgets.Dropdown(options=list(models), description="denoiser")
        self.index = widgets.IntSlider(value=0, min=0, max=len(self.images) - 1, description="image")
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

    def _set_range(self, kind):
        """Give the strength slider the range and name of ``kind``'s level, at its starting value."""
        name, low, high, _ = noise.LEVELS[kind]
        with self.level.hold_trait_notifications():
            self.level.min, self.level.max = min(low, self.level.min), max(high, self.level.max)
            self.level.value = self.levels[kind]
            self.level.min, self.level.max, self.level.step = low, high, (high - low) / 20
        self.level.description = name

    def _new_kind(self, _change=None):
        level = self.level.value
        self._set_range(self.kind.value)
        if self.level.value == level:
            self._update()  # the slider stays put, so it will not redraw by itself

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
        self.model, self.images, self.max_maps = model, images.detach().cpu(), max_maps
        self.layer = widgets.Dropdown(options=[(f"conv {k + 1} ({layer.out_channels} maps)", i)
                                               for k, (i, layer) in enumerate(layers)], description="layer")
        self.index = widgets.IntSlider(value=0, min=0, max=len(self.images) - 1, description="image")
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


class UnitExplorer(_TextFallback, widgets.VBox):
    """Pick a model and one of its code units: see what the unit draws and which images drive it hardest.

    Args:
        models: ``{label: (filters, codes)}``: ``filters`` (units, C, H, W) is what each unit adds
            to a reconstruction (its decoder column as an image), ``codes`` (N, units) the codes
            of ``images``.
        images: tensor (N, C, H, W), the images whose codes are given.
        labels: optional int tensor (N,), shown under the top images.
        top: how many top-activating images to show.

    Units are offered busiest first (by how many images they are active on); dead units come last.
    """

    fallback_text = "Unit explorer: run the notebook to pick a model and a unit."

    def __init__(self, models, images, labels=None, top=8):
        for label, (filters, codes) in models.items():
            if codes.ndim != 2 or len(codes) != len(images) or filters.shape[0] != codes.shape[1]:
                raise ValueError(f"{label}: expected filters (units, C, H, W) and codes ({len(images)}, units), got "
                                 f"{tuple(filters.shape)} and {tuple(codes.shape)}.")
        self.models = {label: (filters.detach().cpu(), codes.detach().cpu())
                       for label, (filters, codes) in models.items()}
        self.images, self.labels, self.top = images.detach().cpu(), labels, top
        self.model_choice = widgets.Dropdown(options=list(models), description="model")
        self.rank = widgets.IntSlider(value=0, min=0, description="unit rank")
        self.filter = widgets.Image(format="png", width=112, height=112)
        self.gallery = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.model_choice.observe(self._new_model, names="value")
        self.rank.observe(self._update, names="value")
        self._new_model()
        super().__init__([widgets.HBox([self.model_choice, self.rank]),
                          widgets.HBox([_labelled("what the unit draws", self.filter),
                                        _labelled(f"its {top} strongest test images", self.gallery)]),
                          self.caption])

    def _new_model(self, _change=None):
        _, codes = self.models[self.model_choice.value]
        self.order = (codes > 0).sum(0).argsort(descending=True, stable=True)
        self.rank.max = codes.shape[1] - 1
        if self.rank.value == 0:
            self._update()
        else:
            self.rank.value = 0  # the slider's observer redraws

    def unit(self):
        """The unit shown now (its index in the code)."""
        return int(self.order[self.rank.value])

    def _update(self, _change=None):
        filters, codes = self.models[self.model_choice.value]
        unit = self.unit()
        weights = filters[unit]
        self.filter.value = image_png((weights - weights.min()) / (weights.max() - weights.min()).clamp(min=1e-12))
        values, index = codes[:, unit].topk(self.top)
        self.gallery.value = image_png(make_grid(self.images[index], nrow=self.top, padding=1, pad_value=0.5), scale=3)
        share = (codes[:, unit] > 0).float().mean().item()
        text = f"unit {unit}: active on {share:.1%} of the images; strongest value {values[0].item():.3g}"
        if self.labels is not None:
            text += "; labels of the top images: " + " ".join(str(int(v)) for v in self.labels[index])
        self.caption.value = text + (" (a dead unit: it never fires)" if share == 0 else "")


class InterpolationExplorer(_TextFallback, widgets.VBox):
    """Walk in a straight line between the codes of two images; see what each model decodes along the way.

    Args:
        models: ``{label: (encode, decode)}``: ``encode`` maps images (B, C, H, W) to codes (B, d), ``decode``
            maps codes back to images with pixels in [0, 1].
        images: tensor (N, C, H, W) to pick the two ends from.
    """

    fallback_text = "Interpolation explorer: run the notebook to pick two images and move between them."

    def __init__(self, models, images, start=0, end=1):
        self.models, self.images = models, images.detach().cpu()
        last = len(self.images) - 1
        self.start = widgets.IntSlider(value=start, min=0, max=last, description="from image")
        self.end = widgets.IntSlider(value=end, min=0, max=last, description="to image")
        self.t = widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="t", continuous_update=True)
        self.ends = {name: widgets.Image(format="png", width=84, height=84) for name in ("from", "to")}
        self.pictures = {label: widgets.Image(format="png", width=112, height=112) for label in models}
        for control in (self.start, self.end, self.t):
            control.observe(self._update, names="value")
        self._update()
        pictures = ([_labelled(name, picture) for name, picture in self.ends.items()]
                    + [_labelled(f"{label} at t", picture) for label, picture in self.pictures.items()])
        super().__init__([widgets.HBox([self.start, self.end]), self.t, widgets.HBox(pictures)])

    def decoded(self, label):
        """What the model called ``label`` decodes at the current ``t``: an image (C, H, W)."""
        encode, decode = self.models[label]
        pair = self.images[[self.start.value, self.end.value]]
        codes = predict(encode, pair)
        return predict(decode, (1 - self.t.value) * codes[:1] + self.t.value * codes[1:])[0]

    def _update(self, _change=None):
        self.ends["from"].value = image_png(self.images[self.start.value], scale=3)
        self.ends["to"].value = image_png(self.images[self.end.value], scale=3)
        for label, picture in self.pictures.items():
            picture.value = image_png(self.decoded(label))


class CodeSnapshots(_TextFallback, widgets.VBox):
    """Step through snapshots of 2-D codes saved during training, drawn over samples of the prior.

    Args:
        snapshots: list of tensors (N, 2): the codes of the same N images before training (first) and
            after each epoch.
        labels: int tensor (N,): the colour of each image's code (its digit).
        prior: samples of the prior, (M, 2), drawn in grey underneath.
        title: what the codes are, for the plot's title.
    """

    fallback_text = "Code snapshots: run the notebook to step through the epochs."

    def __init__(self, snapshots, labels, prior, title="codes of test digits"):
        if len(snapshots) < 2 or any(s.ndim != 2 or s.shape[1] != 2 for s in snapshots):
            raise ValueError("snapshots must be a list of at least two sets of 2-D codes, each of shape (N, 2): "
                             "one before training and one after each epoch.")
        self.snapshots = [s.detach().cpu() for s in snapshots]
        self.labels, self.prior, self.title = labels.cpu(), prior.detach().cpu(), title
        stacked = torch.cat(self.snapshots + [self.prior])
        self.limits = torch.quantile(stacked, torch.tensor([0.005, 0.995]), dim=0)
        self.epoch = widgets.IntSlider(value=0, min=0, max=len(snapshots) - 1, description="epoch")
        self.image = widgets.Image(format="png")
        self.epoch.observe(self._update, names="value")
        self._update()
        super().__init__([self.epoch, self.image])

    def _update(self, _change=None):
        from matplotlib.figure import Figure

        codes = self.snapshots[self.epoch.value]
        figure = Figure(figsize=(5, 4.5), dpi=80)
        ax = figure.subplots()
        ax.scatter(self.prior[:, 0], self.prior[:, 1], s=2, color="0.8", label="prior samples")
        points = ax.scatter(codes[:, 0], codes[:, 1], s=3, c=self.labels, cmap="tab10", vmin=0, vmax=9)
        (low_x, low_y), (high_x, high_y) = self.limits.tolist()
        ax.set_xlim(low_x, high_x)
        ax.set_ylim(low_y, high_y)
        ax.set_xlabel("$z_1$")
        ax.set_ylabel("$z_2$")
        when = f"after epoch {self.epoch.value}" if self.epoch.value else "before training"
        ax.set_title(f"{self.title}, {when}")
        ax.legend(loc="upper right", markerscale=4)
        figure.colorbar(points, ax=ax, label="digit")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        self.image.value = buffer.getvalue()
