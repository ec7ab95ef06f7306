"""Template-bank matched filter: it recovers the ideal filter for its own templates, fits off-grid injections, is
blind to where the merger sits in the window, pays the look-elsewhere price on noise, and rejects bad configs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from anomaly_lab.data.gw.injections import InjectionConfig, detector_strain, draw_parameters, place_in_chunk
from anomaly_lab.data.gw.psd import DesignPSD
from anomaly_lab.data.gw.whitening import Whitener, coloured_noise
from anomaly_lab.data.gw.windows import WindowLayout
from anomaly_lab.evaluation.references import matched_filter_snr
from anomaly_lab.evaluation.template_bank import TemplateBank, WhitenedBank, bank_snr, build_bank, place_bank

LAYOUT = WindowLayout(fs=2048.0, window_s=0.25, context_s=8.0, window_offset_s=5.5)
INJECTION = InjectionConfig()
OFF_GRID = [(37.3, 14.1), (22.2, 19.7), (48.5, 41.2), (15.6, 10.9), (29.0, 27.5)]


@pytest.fixture(scope="module")
def whitener() -> Whitener:
    return Whitener(DesignPSD("aligo"), LAYOUT.fs, LAYOUT.n_context, 20.0, 500.0, edge_taper_s=0.5)


@pytest.fixture(scope="module")
def bank(whitener: Whitener) -> WhitenedBank:
    return build_bank(whitener, LAYOUT, INJECTION, n_templates=100, seed=3)


def injected_window(whitener: Whitener, m1: float, m2: float, snr: float, merger: float, seed: int) -> np.ndarray:
    """A noiseless BBH window made as the data are (random sky and orientation), scaled to optimal SNR `snr`."""
    params = draw_parameters(INJECTION, 1, LAYOUT.window_s, np.random.default_rng(seed))[0]
    params["mass1"], params["mass2"] = m1, m2
    strain, start_s = detector_strain(params, "H1", LAYOUT.fs, INJECTION)
    index = LAYOUT.start + int(round(merger * LAYOUT.n_window))
    chunk = place_in_chunk(strain, start_s, index, LAYOUT.fs, LAYOUT.n_context)
    window = whitener(chunk)[LAYOUT.start : LAYOUT.start + LAYOUT.n_window]
    return snr * window / whitener.optimal_snr(window)


def noise_windows(whitener: Whitener, n_chunks: int, seed: int) -> np.ndarray:
    """Whitened Gaussian noise windows, 28 per chunk cut side by side clear of the edge tapers."""
    rng = np.random.default_rng(seed)
    psd = DesignPSD("aligo")(np.fft.rfftfreq(LAYOUT.n_context, 1 / LAYOUT.fs))
    chunks = [whitener(coloured_noise(psd, LAYOUT.fs, LAYOUT.n_context, rng)) for _ in range(n_chunks)]
    return np.concatenate([c[1024 : 1024 + 28 * LAYOUT.n_window].reshape(28, -1) for c in chunks])


def brute_force_snr(x: np.ndarray, template: np.ndarray, band_fraction: float) -> float:
    """Max over merger positions of the projection of `x` on the span of the overlapping quadratures."""
    n, best = len(x), 0.0
    for s in range(1, n + 1):
        basis = template[:, s : s + n].T.astype(np.float64)
        coef = np.linalg.lstsq(basis, x, rcond=None)[0]
        best = max(best, band_fraction * np.sum((basis @ coef) ** 2))
    return float(np.sqrt(best))


def test_bank_covers_the_mass_square_with_distinct_templates() -> None:
    masses = place_bank(300, 10.0, 50.0, f_ref=20.0, seed=1)
    assert masses.shape == (300, 2) and np.all(masses[:, 0] >= masses[:, 1])
    assert masses.min() >= 10.0 and masses.max() <= 50.0 and len(np.unique(masses, axis=0)) == 300
    assert np.array_equal(masses, place_bank(300, 10.0, 50.0, f_ref=20.0, seed=1))


def test_bank_snr_equals_brute_force_projection_at_every_lag(whitener: Whitener, bank: WhitenedBank) -> None:
    """Noise with a signal, signals merging on the window's last and first samples (where an off-by-one lag
    shows), and noise alone, against templates 0, 1 and the nearest to the signal."""
    signals = [injected_window(whitener, 30.0, 20.0, 8.0, merger, seed=5) for merger in (0.7, 511 / 512, 0.0)]
    x = np.stack(signals + [np.zeros(LAYOUT.n_window)])
    x[[0, 3]] += noise_windows(whitener, 1, seed=4)[:2]
    pick = [0, 1, int(np.argmin(np.abs(bank.masses - [30.0, 20.0]).sum(1)))]
    small = WhitenedBank(bank.masses[pick], bank.templates[pick], bank.band_fraction)
    expected = [max(brute_force_snr(w, t, bank.band_fraction) for t in small.templates) for w in x]
    np.testing.assert_allclose(bank_snr(x, small)[0], expected, rtol=1e-4)


@pytest.mark.parametrize("k", [0, 41, 99])
def test_bank_recovers_the_ideal_filter_for_its_own_template(whitener: Whitener, bank: WhitenedBank, k: int) -> None:
    x = injected_window(whitener, *bank.masses[k], snr=10.0, merger=0.7, seed=k)
    snr, best = bank_snr(x[None], bank)
    assert snr[0] == pytest.approx(10.0, rel=0.01) and best[0] == k
    assert snr[0] <= 10.0 * (1 + 1e-4)  # never above the optimal SNR (Cauchy-Schwarz)


@pytest.mark.parametrize("m1, m2", OFF_GRID)
def test_bank_fits_off_grid_injections_in_noise(whitener: Whitener, bank: WhitenedBank, m1: float, m2: float) -> None:
    assert np.min(np.abs(bank.masses - [m1, m2]).sum(1)) > 0.3  # truly between templates
    signal = injected_window(whitener, m1, m2, snr=12.0, merger=0.6, seed=int(m1))
    assert bank_snr(signal[None], bank)[0][0] >= 0.97 * 12.0  # noiseless fitting factor
    x = noise_windows(whitener, 1, seed=int(m2))[:4] + signal
    exact = matched_filter_snr(x, signal, bank.band_fraction)
    assert np.all(bank_snr(x, bank)[0] >= 0.9 * exact)


@pytest.mark.parametrize("m1, m2", [(37.3, 14.1), (15.6, 10.9)])
def test_bank_snr_does_not_depend_on_where_the_merger_sits(
    whitener: Whitener, bank: WhitenedBank, m1: float, m2: float
) -> None:
    x = np.stack([injected_window(whitener, m1, m2, 10.0, merger, seed=2) for merger in (0.5, 0.6, 0.7, 0.8, 0.9)])
    snr = bank_snr(x, bank)[0]
    assert snr.max() / snr.min() - 1 < 0.01


def test_bank_snr_on_noise_pays_the_look_elsewhere_price(whitener: Whitener, bank: WhitenedBank) -> None:
    """Each (template, lag) gives a chi with 2 degrees of freedom; the median of the max of M independent ones is
    sqrt(2 ln(1 / (1 - 2^(-1/M)))). Lags closer than ~8 samples (4 ms, the width of a whitened template's
    autocorrelation) are correlated, so M lies between n_window / 8 (one template) and K n_window (all apart)."""
    x = noise_windows(whitener, 10, seed=6)
    snr = bank_snr(x, bank)[0]
    single = bank.templates[0, :, 256:768]  # template 0 with its merger mid-window, one phase
    mf = matched_filter_snr(x, single[0], bank.band_fraction)
    assert np.std(mf) == pytest.approx(1.0, abs=0.15) and np.all(snr >= np.abs(mf) - 1e-4)

    def median_max(m: float) -> float:
        return float(np.sqrt(-2 * np.log1p(-(2 ** (-1 / m)))))

    assert median_max(512 / 8) < np.median(snr) < median_max(len(bank.templates) * 512)
    assert np.median(snr) == pytest.approx(np.median(bank_snr(noise_windows(whitener, 10, seed=7), bank)[0]), abs=0.15)


def test_template_bank_scores_each_split_of_a_datamodule(whitener: Whitener) -> None:
    x = noise_windows(whitener, 1, seed=8)
    arrays = {"val": x[:5], "val_signal": x[5:9] + injected_window(whitener, 25.0, 12.0, 15.0, 0.8, 1), "test": x[9:]}
    dm = SimpleNamespace(filter_whitener=lambda: whitener, layout=LAYOUT, injection=INJECTION, arrays=arrays)
    ref = TemplateBank(n_templates=8, seed=1)
    scores = ref.score(dm)
    assert ref.name == "template bank (8 BBH templates)" and set(scores) == {"val", "val_signal", "test"}
    assert {k: len(v) for k, v in scores.items()} == {"val": 5, "val_signal": 4, "test": 19}
    assert scores["val_signal"].min() > scores["val"].max()


@pytest.mark.parametrize(
    "make, key",
    [
        (lambda: TemplateBank(n_templates=0), "data.references.template_bank.n_templates: expected ≥ 1, got 0"),
        (lambda: TemplateBank(mass_min=30.0, mass_max=30.0), "data.references.template_bank.mass_min/mass_max"),
        (lambda: place_bank(10, 50.0, 10.0, 20.0, 0), "data.references.template_bank.mass_min/mass_max"),
    ],
)
def test_bad_bank_config_is_a_one_line_error_naming_the_key(make, key: str) -> None:
    with pytest.raises(ValueError, match=r"^[^\n]+$") as err:
        make()
    assert str(err.value).startswith(key)


def test_empty_injected_mass_range_is_refused_before_any_waveform(whitener: Whitener) -> None:
    with pytest.raises(ValueError, match="mass_min < mass_max"):
        TemplateBank(n_templates=5).bank(whitener, LAYOUT, InjectionConfig(mass_min=50.0, mass_max=10.0))
