"""ADC2021 models: (19, 8) events in, (pT, eta, phi) of real objects in the loss, the trigger papers' mu2 score, other
scores of the same network on request, and a trigger-sized autoencoder held to its stated size."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pytest
import torch

from anomaly_lab.benchmarks.model_size import EventShape, model_config
from anomaly_lab.benchmarks.networks import build_module
from anomaly_lab.models.autoencoder import AutoencoderModule, masked_reconstruction_error
from anomaly_lab.models.nets.dense import DenseAutoencoder, DenseVAE
from anomaly_lab.models.vae import VAEModule, kl_divergence
from anomaly_lab.train import CONFIG_DIR

ADAM = partial(torch.optim.Adam, lr=1e-3)
ROW_TYPE = torch.tensor([0] + [1] * 4 + [2] * 4 + [3] * 10)  # MET, electrons, muons, jets
TRIGGER_BUDGET = 4000  # parameters: the FPGA autoencoders that score in 50-80 ns have a few thousand


def adc_events(n: int = 8, seed: int = 0) -> torch.Tensor:
    """(n, 19, 8): (pT, eta, phi), the type one-hot and the mask; event i has 1 + 2 i real objects, padding zeros."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 19, 8)
    x[..., :3] = torch.randn(n, 19, 3, generator=g)
    x[..., 3:7] = torch.nn.functional.one_hot(ROW_TYPE, 4).float()
    mask = (torch.arange(19)[None, :] < (1 + 2 * torch.arange(n))[:, None]).float()
    x[..., :7] *= mask.unsqueeze(-1)
    x[..., 7] = mask
    return x


def vae(score: str = "reconstruction") -> VAEModule:
    torch.manual_seed(0)
    net = DenseVAE((19, 8), hidden=[32, 16], latent_dim=3, output_shape=(19, 3))
    return VAEModule(net, ADAM, beta=0.8, score=score, masked=True).eval()


def test_padding_neither_in_the_input_nor_in_the_reconstruction_changes_the_error() -> None:
    x = adc_events()
    recon = torch.randn(8, 19, 3)
    junk_x, junk_recon = x.clone(), recon.clone()
    padded = x[..., 7] == 0
    junk_x[..., :7][padded] = 50.0
    junk_recon[padded] = -50.0
    expected = masked_reconstruction_error(x, recon)
    torch.testing.assert_close(masked_reconstruction_error(junk_x, junk_recon), expected)
    # the mean over the real objects' 3 features: event 0 holds one object
    torch.testing.assert_close(expected[0], (x[0, 0, :3] - recon[0, 0]).pow(2).mean())


def test_the_object_type_is_input_only() -> None:
    x = adc_events()
    assert torch.all(masked_reconstruction_error(x, x[..., :3].clone()) == 0)  # pT, eta, phi right: no error
    retyped = x.clone()
    retyped[..., 3:7] = torch.rand(8, 19, 4)
    recon = torch.randn(8, 19, 3)
    torch.testing.assert_close(masked_reconstruction_error(retyped, recon), masked_reconstruction_error(x, recon))


def test_an_empty_event_scores_zero_and_the_loss_stays_finite() -> None:
    x = adc_events(4)
    x[1] = 0.0  # not one real object
    assert masked_reconstruction_error(x, torch.randn(4, 19, 3))[1] == 0.0
    for module in (
        vae(),
        AutoencoderModule(DenseAutoencoder((19, 8), [16], 3, output_shape=(19, 3)), ADAM, masked=True),
    ):
        module.train()
        assert torch.isfinite(module.loss((x, torch.zeros(4)), "train"))
        assert torch.isfinite(module.predict_step((x, torch.zeros(4)), 0)).all()


@pytest.mark.parametrize("family", [DenseAutoencoder, DenseVAE])
def test_output_shape_gives_the_reconstructed_features_and_defaults_to_the_input(family: type) -> None:
    x = adc_events(5)
    out = family((19, 8), hidden=[16], latent_dim=3, output_shape=(19, 3)).eval()(x)
    assert (out[0] if isinstance(out, tuple) else out).shape == (5, 19, 3)
    out = family((19, 8), hidden=[16], latent_dim=3).eval()(x)
    assert (out[0] if isinstance(out, tuple) else out).shape == (5, 19, 8)


def test_without_output_shape_the_checkpoint_keys_and_shapes_are_as_before() -> None:
    ae = {k: tuple(v.shape) for k, v in DenseAutoencoder((1, 8, 8), hidden=[16], latent_dim=3).state_dict().items()}
    assert ae == {"encoder.0.weight": (16, 64), "encoder.0.bias": (16,), "encoder.2.weight": (3, 16),
                  "encoder.2.bias": (3,), "decoder.0.weight": (16, 3), "decoder.0.bias": (16,),
                  "decoder.2.weight": (64, 16), "decoder.2.bias": (64,)}  # fmt: skip
    vae_keys = {k: tuple(v.shape) for k, v in DenseVAE((10,), hidden=[6], latent_dim=2).state_dict().items()}
    assert vae_keys == {"encoder.0.0.weight": (6, 10), "encoder.0.0.bias": (6,), "z_mean.weight": (2, 6),
                        "z_mean.bias": (2,), "z_log_var.weight": (2, 6), "z_log_var.bias": (2,),
                        "decoder.0.weight": (6, 2), "decoder.0.bias": (6,), "decoder.2.weight": (10, 6),
                        "decoder.2.bias": (10,)}  # fmt: skip


def test_mu2_is_the_squared_norm_of_the_latent_mean() -> None:
    module, x = vae("mu2"), adc_events()
    with torch.no_grad():
        mean, _ = module.net.encode(x)
        score = module.predict_step((x, torch.zeros(8)), 0)
    torch.testing.assert_close(score, (mean[:, 0] ** 2 + mean[:, 1] ** 2 + mean[:, 2] ** 2))
    assert score.dtype == torch.float32 and score.shape == (8,)


def test_scoring_switches_the_score_for_the_block_only() -> None:
    module, x = vae("reconstruction"), adc_events()
    assert module.score_names() == ("reconstruction", "kl", "both", "mu2")
    with torch.no_grad():
        recon, mean, log_var = module.net(x)
        expected = {"reconstruction": masked_reconstruction_error(x, recon), "kl": kl_divergence(mean, log_var),
                    "mu2": mean.pow(2).sum(1)}  # fmt: skip
        expected["both"] = expected["reconstruction"] + 0.8 * expected["kl"]
        for name, value in expected.items():
            with module.scoring(name):
                torch.testing.assert_close(module.predict_step((x, torch.zeros(8)), 0), value)
        torch.testing.assert_close(module.predict_step((x, torch.zeros(8)), 0), expected["reconstruction"])
        with pytest.raises(RuntimeError), module.scoring("kl"):
            raise RuntimeError  # an error inside the block still gives the configured score back
    assert module.hparams.score == "reconstruction"
    with pytest.raises(ValueError, match="elbo"), module.scoring("elbo"):
        pass


def test_an_autoencoder_has_one_score_and_refuses_others() -> None:
    net = DenseAutoencoder((19, 8), hidden=[16], latent_dim=3, output_shape=(19, 3))
    module, x = AutoencoderModule(net, ADAM, masked=True).eval(), adc_events()
    assert module.score_names() == ("reconstruction",)
    with torch.no_grad(), module.scoring("reconstruction"):
        torch.testing.assert_close(module.predict_step((x, torch.zeros(8)), 0), masked_reconstruction_error(x, net(x)))
    with pytest.raises(ValueError, match="mu2"), module.scoring("mu2"):
        pass


def test_the_trigger_autoencoder_has_the_size_its_config_states() -> None:
    text = (Path(CONFIG_DIR) / "model" / "adc2021_trigger_ae.yaml").read_text()
    stated = int(re.search(r"(\d+) parameters", text).group(1))
    flops = int(re.search(r"(\d+) forward FLOPs", text).group(1))
    module = build_module(model_config("adc2021_trigger_ae"), seed=0)
    n = sum(p.numel() for p in module.parameters())
    assert n == stated <= TRIGGER_BUDGET
    # 2 FLOPs per multiply-add of 152 -> 16 -> 3 -> 16 -> 57, counted apart from torch's counter
    assert flops == 2 * (152 * 16 + 16 * 3 + 3 * 16 + 16 * 57)


def two_factor_events(n: int, seed: int = 0) -> torch.Tensor:
    """ADC-shaped events whose (pT, eta, phi) are linear in two hidden factors: a set a 3-dim latent can learn."""
    g = torch.Generator().manual_seed(seed)
    x = adc_events(n, seed)
    factors, weights = torch.randn(n, 2, generator=g), torch.randn(2, 19 * 3, generator=g)
    x[..., :3] = (factors @ weights).view(n, 19, 3) * x[..., 7:]
    return x


@pytest.mark.parametrize(("name", "family"), [("adc2021_vae", VAEModule), ("adc2021_ae", AutoencoderModule),
                                              ("adc2021_trigger_ae", AutoencoderModule)])  # fmt: skip
def test_each_config_builds_a_masked_model_that_learns_a_tiny_set(name: str, family: type) -> None:
    module = build_module(model_config(name, EventShape()), seed=0)
    assert isinstance(module, family) and module.hparams.masked
    batch = (two_factor_events(64, seed=1), torch.zeros(64))
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-2)
    module.eval()  # deterministic losses before and after (no sampling), training steps in between
    with torch.no_grad():
        before = module.loss(batch, "val").item()
    module.train()
    for _ in range(60):
        optimizer.zero_grad()
        module.loss(batch, "train").backward()
        optimizer.step()
    module.eval()
    with torch.no_grad():
        after = module.loss(batch, "val").item()
        assert module.predict_step(batch, 0).shape == (64,)
    # the configured beta's KL keeps the VAE's loss well above the autoencoders' (about 0.6 of the start against 0.01)
    assert after < 0.75 * before


def test_score_variants_refuse_a_score_the_model_cannot_give() -> None:
    from anomaly_lab.evaluation.scoring import score_variants

    ae = AutoencoderModule(DenseAutoencoder((19, 8), [16], 3, output_shape=(19, 3)), ADAM, masked=True)
    with pytest.raises(ValueError, match=r"AutoencoderModule gives \['reconstruction'\], got \['kl'\]"):
        score_variants(ae, None, ["kl"])  # refused before any data is read
    with pytest.raises(ValueError, match=r"VAEModule gives \['reconstruction', 'kl', 'both', 'mu2'\], got \['mse'\]"):
        score_variants(vae(), None, ["kl", "mse"])
