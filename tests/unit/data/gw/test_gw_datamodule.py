"""GW DataModule: splits, the transform fitted on training noise, per-split extras, and the example-window figure
for every model family (a VAE answers `reconstruct` like an autoencoder; a classifier has nothing to draw)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from anomaly_lab.data.gw import datamodule as gw_datamodule
from anomaly_lab.data.gw.datamodule import GWDataModule
from anomaly_lab.io import load_arrays
from anomaly_lab.models.classifier import ClassifierModule
from anomaly_lab.models.nets.dense import DenseVAE
from anomaly_lab.models.vae import VAEModule

SIZES = {"train": 64, "val": 32, "val_signal": 16, "test_background": 24, "test_signal": 24}
N_WINDOW = 512  # 0.25 s at 2048 Hz


def tiny(cache_dir: Path, **kw: object) -> GWDataModule:
    return GWDataModule(sizes=SIZES, batch_size=16, cache_dir=str(cache_dir), **kw)


@pytest.fixture(scope="module")
def dm(tmp_path_factory: pytest.TempPathFactory) -> GWDataModule:
    dm = tiny(tmp_path_factory.mktemp("gw-cache"))
    dm.setup("fit")
    return dm


def test_splits_and_transform_fitted_on_training_background(dm: GWDataModule) -> None:
    a = dm.arrays
    assert a["train"].shape == (64, N_WINDOW) and a["val_signal"].shape == (16, N_WINDOW)
    assert list(a["test_labels"]) == [0] * 24 + [1] * 24
    assert dm.transform.mean == pytest.approx(float(a["train"].mean()))
    assert dm.transform.std == pytest.approx(float(a["train"].std()))
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (16, 1, N_WINDOW) and y.sum() == 0
    assert float(dm.inputs("train").std()) == pytest.approx(1.0, abs=1e-3)


def test_cache_file_holds_every_split_and_the_injection_parameters(dm: GWDataModule) -> None:
    (path,) = Path(dm.cache_dir).glob("gw-simulated-*.h5")
    with h5py.File(path) as f:
        assert "distance_mpc" in f["test_injection"].dtype.names
    assert set(load_arrays(path)) >= {"train", "val", "val_signal", "test", "test_labels", "test_snr"}


def test_extras_belong_to_their_own_split(dm: GWDataModule) -> None:
    # `val_signal_template` starts with `val_`: it must still go to val_signal, not to val
    assert "template" not in dm.extras("val")
    assert set(dm.extras("val_signal")) == {"template"}
    np.testing.assert_array_equal(dm.extras("val_signal")["template"], dm.arrays["val_signal_template"])
    assert set(dm.test_extras) == {"snr", "snr_full", "template", "injection"} and dm.extras("train") == {}
    assert set(dm.constants) == {"band_fraction"}
    # each signal window's template is the injection whose SNR is recorded beside it: SNR^2 = band_fraction sum(w^2)
    sig = dm.arrays["test_labels"] == 1
    template, snr = dm.test_extras["template"][sig].astype(np.float64), dm.test_extras["snr"][sig]
    np.testing.assert_allclose(np.sqrt(dm.constants["band_fraction"] * (template**2).sum(-1)), snr, rtol=1e-4)
    assert np.all(dm.test_extras["snr"][~sig] == 0) and np.all(dm.test_extras["template"][~sig] == 0)
    # the whole waveform holds at least the window's share of the signal (the window's band reaches 4 Hz lower)
    assert np.all(dm.test_extras["snr_full"][sig] >= 0.99 * snr)


def test_a_split_is_not_an_extra_of_a_shorter_split(dm: GWDataModule) -> None:
    assert dm.extras("val") == {}


def test_generation_is_seeded(tmp_path: Path) -> None:
    small = {"train": 4, "val": 2, "val_signal": 2, "test_background": 2, "test_signal": 2}
    a, b, c = (GWDataModule(sizes=small, seed=seed, cache_dir=str(tmp_path / name))
               for seed, name in ((3, "a"), (3, "b"), (4, "c")))  # fmt: skip
    for dm in (a, b, c):
        dm.setup()
    np.testing.assert_array_equal(a.arrays["test"], b.arrays["test"])
    assert not np.array_equal(a.arrays["test"], c.arrays["test"])


def test_transform_state_travels_with_the_checkpoint(dm: GWDataModule, tmp_path: Path) -> None:
    fresh = tiny(tmp_path)
    fresh.load_state_dict(dm.state_dict())
    assert fresh.transform.state_dict() == dm.transform.state_dict() == {"mean": dm.transform.mean,
                                                                        "std": dm.transform.std}  # fmt: skip


def test_vae_example_window_draws_its_reconstruction_in_strain_units(
    dm: GWDataModule, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.manual_seed(0)
    model = VAEModule(DenseVAE(input_shape=[1, N_WINDOW], hidden=[32], latent_dim=4), partial(torch.optim.Adam))
    drawn = {}

    def spy(t, data, recon, path, injection=None, title=""):  # noqa: ANN001, ANN202 - the plot's own signature
        drawn.update(data=data, recon=recon, injection=injection)
        return real(t, data, recon, path, injection, title)

    real = gw_datamodule.plot_example_window
    monkeypatch.setattr(gw_datamodule, "plot_example_window", spy)
    scores = np.arange(48, dtype=float)
    figs = dm.example_figures(tmp_path, model, scores, threshold=10.0)
    assert list(figs) == ["example window"] and figs["example window"] == tmp_path / "example_window.png"
    assert figs["example window"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the window drawn is an injection, and the curve is the VAE's mean reconstruction undone to whitened strain
    (i,) = [i for i in range(24, 48) if np.allclose(dm.arrays["test"][i], drawn["data"], atol=1e-4)]
    np.testing.assert_array_equal(drawn["injection"], dm.test_extras["template"][i])
    with torch.no_grad():
        recon = model.reconstruct(dm.inputs("test")[i : i + 1])[0, 0].numpy()
    np.testing.assert_allclose(drawn["recon"], recon * dm.transform.std + dm.transform.mean, rtol=1e-5, atol=1e-6)


def test_a_classifier_has_no_example_window(dm: GWDataModule, tmp_path: Path) -> None:
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(N_WINDOW, 1), torch.nn.Flatten(0))
    figs = dm.example_figures(tmp_path, ClassifierModule(net, partial(torch.optim.Adam)), np.zeros(48), 0.0)
    assert figs == {} and list(tmp_path.iterdir()) == []


def test_the_process_that_prepares_the_data_does_not_read_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anomaly_lab.data import base

    calls = []
    monkeypatch.setattr(base, "cached", lambda *args: calls.append(args) or args[3]())
    prepared = tiny(tmp_path)
    prepared.prepare_data()  # Lightning, on one process per node
    prepared.setup("fit")  # Lightning, on every rank: this one keeps what it made
    other_rank = tiny(tmp_path)
    other_rank.setup("fit")  # a rank that prepared nothing reads the cache
    assert len(calls) == 2
    np.testing.assert_array_equal(prepared.arrays["test"], other_rank.arrays["test"])
