"""The package never changes the random stream of the learner's next cell."""
import pytest
import torch

from aecourse import runtime
from aecourse.data import Batches
from aecourse.exercises import nb04
from aecourse.models import MLPAutoencoder
from aecourse.widgets import DenoisingExplorer, LatentExplorer, ReconstructionBrowser


def mse_sum(model, x):
    return (model(x) - x).pow(2).flatten(1).sum(1).mean()


def sampling_loss(model, x):
    """A loss that draws random numbers, as a VAE's does."""
    return (model(x + 0.1 * torch.randn_like(x)) - x).pow(2).flatten(1).sum(1).mean()


@pytest.fixture
def model():
    torch.manual_seed(0)
    return MLPAutoencoder((784, 16, 4))


def test_predict_evaluate_and_widget_redraws_leave_the_global_generator_alone(model):
    x, codes = torch.rand(50, 1, 28, 28), torch.randn(30, 4)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    runtime.predict(model, x, batch_size=7)
    runtime.predict(lambda batch: batch + torch.randn_like(batch), x)  # a function that samples
    runtime.evaluate(model, mse_sum, x, batch_size=7)
    runtime.evaluate(model, sampling_loss, x)
    explorer = LatentExplorer(model.decoder, codes)
    explorer.sliders[0].value = explorer.sliders[0].max
    browser = ReconstructionBrowser({"a": model}, x[:5])
    browser.index.value = 3
    denoising = DenoisingExplorer({"a": model}, x[:5])
    denoising.level.value = 0.3
    nb04.psnr.evaluate(nb04.psnr.reference)  # an exercise check draws random numbers too
    nb04.salt_and_pepper.evaluate(nb04.salt_and_pepper.reference)
    assert torch.equal(torch.get_rng_state(), state)


def test_a_sampling_loss_evaluates_to_the_same_value_every_time(model):
    x = torch.rand(40, 1, 28, 28)
    assert runtime.evaluate(model, sampling_loss, x) == runtime.evaluate(model, sampling_loss, x)


def test_batches_without_shuffling_need_no_generator_and_shuffle_with_their_own():
    x = torch.arange(10)
    torch.manual_seed(5)
    state = torch.get_rng_state()
    assert Batches(x, batch_size=3).generator is None
    assert [b.tolist() for b in Batches(x, batch_size=4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    unseeded = torch.cat(list(Batches(x, batch_size=4, shuffle=True)))
    assert sorted(unseeded.tolist()) == list(range(10))
    assert torch.equal(torch.get_rng_state(), state)
    first, second = (torch.cat(list(Batches(x, batch_size=4, shuffle=True, seed=1))) for _ in range(2))
    assert torch.equal(first, second)


def test_isolated_rng_restores_the_stream():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    with runtime.isolated_rng(7):
        inside = torch.rand(3)
    assert torch.equal(torch.rand(3), expected)
    with runtime.isolated_rng(7):
        assert torch.equal(torch.rand(3), inside)


def test_evaluate_and_predict_accept_images_and_labels(model):
    x, y = torch.rand(20, 1, 28, 28), torch.arange(20) % 10
    value = runtime.evaluate(model, lambda m, batch: mse_sum(m, batch[0]) + 0 * batch[1].sum(), (x, y), batch_size=6)
    assert value == pytest.approx(runtime.evaluate(model, mse_sum, x), rel=1e-5)


def test_predict_restores_training_mode_even_when_the_function_fails(model):
    model.train()

    class Broken(torch.nn.Module):
        def forward(self, x):
            raise RuntimeError("broken")

    broken = Broken()
    broken.train()
    with pytest.raises(RuntimeError):
        runtime.predict(broken, torch.rand(3, 2))
    assert broken.training


def test_predict_gives_every_submodule_its_own_mode_back(model):
    """A slice of a model in evaluation mode starts in training mode itself; its layers must stay in eval."""
    model.eval()
    runtime.predict(model.encoder[:2], torch.rand(3, 1, 28, 28))
    assert not any(module.training for module in model.modules())
    model.train()
    model.decoder.eval()  # a model half in each mode keeps both halves as they were
    runtime.predict(model, torch.rand(3, 1, 28, 28))
    assert model.encoder.training and not model.decoder.training


def test_predict_finds_the_device_of_the_module_a_function_uses(model):
    from aecourse.runtime import device_of

    cpu = torch.device("cpu")
    meta = torch.device("meta")
    assert device_of(model, meta) == cpu
    assert device_of(model.forward, meta) == cpu                      # a bound method
    assert device_of(lambda x: model(x) + 1, meta) == cpu             # a closure
    assert device_of(lambda x: x + 1, meta) == meta                   # nothing to go by
    assert device_of(torch.nn.Flatten(), meta) == meta                # a module without parameters
