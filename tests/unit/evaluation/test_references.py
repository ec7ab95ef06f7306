"""Reference scorers: PCA against scikit-learn, the matched filter's N(0, 1) noise and SNR-centred signal, and each
scorer reading the splits a DataModule hands it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from anomaly_lab.data.gw.injections import InjectionConfig
from anomaly_lab.data.gw.sources import SimulatedNoise
from anomaly_lab.data.gw.whitening import Whitener
from anomaly_lab.data.gw.windows import WindowLayout, background_windows, signal_windows
from anomaly_lab.evaluation.references import (
    ExcessPower,
    MatchedFilter,
    PCAReconstruction,
    PCAReference,
    excess_power,
    matched_filter_snr,
)


def correlated_data(n: int = 4000, d: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spectrum = np.array([10, 7, 5, 1, 0.5, 0.3, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05])[:d]
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return (rng.normal(size=(n, d)) * np.sqrt(spectrum)) @ rotation.T + 3.0


def test_pca_reconstructs_its_own_subspace_exactly_and_matches_scikit_learn() -> None:
    x = correlated_data()
    pca = PCAReconstruction(3).fit(x)
    np.testing.assert_allclose(pca.score(pca.reconstruct(x[:10])), 0, atol=1e-12)
    sk = PCA(3).fit(x)
    np.testing.assert_allclose(pca.explained_variance_ratio, sk.explained_variance_ratio_, rtol=1e-10)
    fresh = correlated_data(50, seed=1)
    expected = ((fresh - sk.inverse_transform(sk.transform(fresh))) ** 2).mean(1)
    np.testing.assert_allclose(pca.score(fresh), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="n_components"):
        PCAReconstruction(13).fit(x)


def test_pca_reference_fits_on_training_background_only_and_scores_each_split() -> None:
    rng = np.random.default_rng(2)
    splits = {s: torch.from_numpy(rng.normal(size=(40, 1, 3, 3))) for s in ("val", "val_signal", "test")}
    background = torch.from_numpy(correlated_data(200, d=9)).reshape(200, 1, 3, 3)
    dm = SimpleNamespace(training_background=lambda: background, inputs=lambda split: splits[split])
    scores = PCAReference(n_components=2).score(dm)
    sk = PCA(2).fit(background.reshape(200, -1).numpy())
    assert set(scores) == {"val", "val_signal", "test"} and PCAReference(2).name == "PCA (2 components)"
    for split, x in splits.items():
        flat = x.reshape(40, -1).numpy()
        np.testing.assert_allclose(scores[split], ((flat - sk.inverse_transform(sk.transform(flat))) ** 2).mean(1))


def gw_windows() -> tuple[dict[str, np.ndarray], np.ndarray, float]:
    layout = WindowLayout(2048.0, 0.25, 8.0, 5.5)
    source = SimulatedNoise("aligo", 2048.0, layout.n_context)
    whitener = Whitener(source.psd, 2048.0, layout.n_context, 20.0, 500.0)
    cfg = InjectionConfig(snr_distribution="fixed", snr_min=10.0)
    sig = signal_windows(source, whitener, layout, cfg, 400, np.random.default_rng(5), "signal")
    noise = background_windows(source, whitener, layout, 400, np.random.default_rng(6), "noise")
    return sig, noise, whitener.band_fraction


@pytest.fixture(scope="module")
def windows() -> tuple[dict[str, np.ndarray], np.ndarray, float]:
    return gw_windows()


def test_matched_filter_is_unit_normal_on_noise_and_centred_on_the_snr(windows) -> None:
    sig, noise, band_fraction = windows
    z_sig = matched_filter_snr(sig["x"], sig["template"], band_fraction)
    z_noise = matched_filter_snr(noise, sig["template"], band_fraction)
    # 400 draws: standard errors 0.05 on the means, 0.035 on the standard deviations
    assert z_sig.mean() == pytest.approx(10.0, abs=0.2)
    assert z_noise.mean() == pytest.approx(0.0, abs=0.2)
    assert z_noise.std() == pytest.approx(1.0, abs=0.12)
    assert z_sig.std() == pytest.approx(1.0, abs=0.12)


def test_gw_references_score_the_datamodule_splits(windows) -> None:
    sig, noise, band_fraction = windows
    n = 100
    arrays = {
        "val": noise[:n], "val_signal": sig["x"][:n], "val_signal_template": sig["template"][:n],
        "test": np.concatenate([noise[n : 2 * n], sig["x"][n : 2 * n]]),
        "test_labels": np.repeat([0, 1], n), "test_template": np.concatenate([0 * noise[:n], sig["template"][n:2 * n]]),
    }  # fmt: skip
    dm = SimpleNamespace(
        arrays=arrays, constants={"band_fraction": band_fraction}, test_extras={"template": arrays["test_template"]},
        extras=lambda split: {"template": arrays["val_signal_template"]} if split == "val_signal" else {},
    )  # fmt: skip
    mf = MatchedFilter(seed=1).score(dm)
    # signal windows are filtered with their own template: the SNR they were injected at, give or take the noise
    np.testing.assert_allclose(mf["val_signal"], matched_filter_snr(sig["x"][:n], sig["template"][:n], band_fraction))
    assert mf["test"][n:].mean() == pytest.approx(10.0, abs=0.35) and abs(mf["val"].mean()) < 0.35
    power = ExcessPower().score(dm)
    np.testing.assert_allclose(power["test"], (arrays["test"].astype(np.float64) ** 2).mean(-1))
    assert np.array_equal(power["val"], excess_power(arrays["val"]))
    with pytest.raises(ValueError, match="GW data only"):
        MatchedFilter().score(SimpleNamespace(constants={}, test_extras={}))
