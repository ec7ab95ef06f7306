"""Every network configuration the experiments use, exported with its fitted transform, scores random valid raw
samples as the PyTorch pipeline does (numpy transform + eager model): ONNX Runtime and TorchScript within 1e-5,
absolute for scores up to 1 and relative above, at batch sizes other than the one traced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from anomaly_lab.export.cli import TOLERANCE, score_difference
from anomaly_lab.export.formats import FORMATS, load_scorer, write
from anomaly_lab.export.graph import traceable
from anomaly_lab.models.nets.particles import RecurrentAutoencoder
from tests.unit.export.conftest import build

# jets_cae_inverse is jets_cae's graph with other fitted numbers; the recurrent cases read 8 of the 100 particle
# slots, since exporting a GRU costs time per slot and the graph is the same at any length
CASES = {
    "gw_cnnae": ("experiment=gw_cnnae",),
    "jets_cae": ("experiment=jets_cae",),
    "jets_cae_no_bottleneck": ("experiment=jets_cae", "model=cnn2d_ae"),
    "jets_dense_ae": ("experiment=jets_cae", "model=dense_ae"),
    "jets_dense_vae": ("experiment=jets_cae", "model=dense_vae"),
    "jets_supervised": ("experiment=jets_supervised",),
    "lhco_vae": ("experiment=lhco_vae",),
    "lhco_vae_both": ("experiment=lhco_vae", "model.score=both", "model.net.encoder=per_particle_dense"),
    "lhco_vae_kl_flat": ("experiment=lhco_vae", "model.score=kl", "model.net.encoder=flat_dense"),
    "lhco_cnnae": ("experiment=lhco_cnnae",),
    "lhco_rnnae": ("experiment=lhco_rnnae", "data.max_particles=8"),
    "lhco_rnnae_lstm": ("experiment=lhco_rnnae", "data.max_particles=8", "model.net.cell=lstm"),
    "lhco_hlf": ("experiment=lhco_hlf",),
    "adc2021_vae": ("experiment=adc2021_vae",),
    "adc2021_vae_mu2": ("experiment=adc2021_vae", "model.score=mu2"),
    "adc2021_vae_reconstruction": ("experiment=adc2021_vae", "model.score=reconstruction"),
    "adc2021_ae": ("experiment=adc2021_ae",),
    "adc2021_trigger": ("experiment=adc2021_trigger",),
}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("case", list(CASES))
def test_exported_file_scores_raw_samples_as_the_pipeline_does(case: str, fmt: str, tmp_path: Path) -> None:
    built = build(CASES[case])
    path = write(fmt, built.graph(), torch.from_numpy(built.samples(4, seed=1)), tmp_path / f"m{FORMATS[fmt]}", {})
    scorer = load_scorer(path)
    for n in (1, 9):
        raw = built.samples(n, seed=n)
        exported, reference = scorer(raw), built.pipeline_scores(raw)
        assert exported.shape == reference.shape == (n,) and exported.dtype == np.float32
        assert np.isfinite(reference).all() and np.ptp(reference) > 0 or n == 1
        assert score_difference(exported, reference) <= TOLERANCE, (case, fmt, n)


def test_the_score_difference_is_relative_only_above_one() -> None:
    assert score_difference(np.array([0.5, 1000.0], np.float32), np.array([0.5 + 2e-5, 1000.0])) == pytest.approx(2e-5)
    assert score_difference(np.array([1000.02]), np.array([1000.0])) == pytest.approx(2e-5)


def test_the_unpacked_recurrent_network_is_the_packed_one_at_every_length() -> None:
    model = build(CASES["lhco_rnnae"]).model
    copy = traceable(model)
    assert not isinstance(copy.net, RecurrentAutoencoder) and isinstance(model.net, RecurrentAutoencoder)
    x = torch.from_numpy(build(CASES["lhco_rnnae"]).dm.transform(build(CASES["lhco_rnnae"]).samples(50, seed=7)))
    x[5] = 0.0  # an empty event: packing reads one slot
    with torch.no_grad():
        torch.testing.assert_close(copy.net(x), model.net(x), rtol=0, atol=1e-6)
