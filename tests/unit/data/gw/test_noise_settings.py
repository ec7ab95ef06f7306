"""`data.noise` through the GW DataModule: the stream source with its estimated PSD, glitches recorded per window,
and one-line errors for settings that cannot work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anomaly_lab.data.gw.datamodule import GWDataModule
from anomaly_lab.data.gw.noise import noise_settings
from anomaly_lab.data.gw.psd import design_psd
from anomaly_lab.data.gw.stream import StreamNoise

SIZES = {"train": 200, "val": 20, "val_signal": 4, "test_background": 200, "test_signal": 4}


def test_glitchy_stream_records_the_glitches_inside_each_window_and_they_raise_its_power(tmp_path: Path) -> None:
    noise = {"model": "stream", "glitch_rate_per_hour": 7200.0, "glitch_weights": [1.0, 0.0], "psd_data_s": 64.0}
    dm = GWDataModule(sizes=SIZES, cache_dir=str(tmp_path), noise=noise, whitening_filter_s=2.0)
    dm.setup()
    glitch = dm.test_extras["glitch_snr"]
    assert glitch.shape == (204,) and len(dm.extras("train")["glitch_snr"]) == 200
    hit = glitch[:200] > 6
    # two blips a second over 0.25 s windows: a good share of windows hold one, most do not
    assert 0.1 < hit.mean() < 0.7
    power = (dm.arrays["test"][:200].astype(np.float64) ** 2).mean(1)
    # a window holding a glitch of window-SNR rho carries about rho^2 / band samples more power than clean noise
    # (the PSD, estimated from equally glitchy other data, absorbs part of their power: clean windows fall below 1)
    assert np.median(power[hit]) > 1.05 * np.median(power[glitch[:200] == 0])


def test_stream_source_whitens_with_an_estimate_not_the_curve(tmp_path: Path) -> None:
    dm = GWDataModule(sizes=SIZES, cache_dir=str(tmp_path), noise={"model": "stream", "psd_data_s": 64.0})
    source = dm._chunk_source()
    assert isinstance(source, StreamNoise)
    freqs = np.fft.rfftfreq(dm.layout.n_context, 1 / dm.layout.fs)
    band = (freqs > 30) & (freqs < 400)
    ratio = source.psd(freqs)[band] / design_psd("aligo", freqs)[band]
    assert np.median(ratio) == pytest.approx(1.0, abs=0.05) and np.std(ratio) > 0.02


@pytest.mark.parametrize(
    ("noise", "source", "match"),
    [
        ({"model": "pink"}, "simulated", "data.noise.model"),
        ({"glitch_rate": 3.0}, "simulated", "data.noise: unknown keys"),
        ({"glitch_rate_per_hour": 60.0}, "simulated", "model=stream"),
        ({"model": "stream", "glitch_rate_per_hour": 60.0}, "gwosc", "simulated noise"),
        ({"model": "stream"}, "gwosc", "only simulated noise is made as a stream"),
        ({"model": "stream", "glitch_families": ["whistle"]}, "simulated", "data.noise.glitch_families"),
    ],
)
def test_noise_settings_that_cannot_work_are_one_line_errors(noise: dict, source: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        noise_settings(noise, source)
