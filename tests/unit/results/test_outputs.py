"""What a run writes, from its Evaluation: the metrics record, the latent coordinates and the efficiency table."""

from __future__ import annotations

from functools import partial

import numpy as np
import torch

from anomaly_lab.evaluation.evaluate import Binning, evaluate
from anomaly_lab.evaluation.thresholds import FprThreshold
from anomaly_lab.models.classifier import ClassifierModule
from anomaly_lab.models.nets.dense import DenseVAE
from anomaly_lab.models.vae import VAEModule
from anomaly_lab.results.outputs import latent_coordinates, metrics_record
from anomaly_lab.results.tables import efficiency_table


def evaluation(binning: bool):
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], [300, 100])
    scores = {"val": rng.normal(size=500), "val_signal": rng.normal(2, 1, 50), "test": rng.normal(size=400) + labels}
    ref = {k: v * 2 for k, v in scores.items()}
    bins = Binning("snr", np.r_[np.zeros(300), np.linspace(8, 19, 100)], [8, 14, 20]) if binning else None
    return evaluate(FprThreshold(0.1), scores, labels, {"excess power": ref}, bins)


def test_metrics_record_holds_model_references_checkpoint_and_efficiency_when_binned() -> None:
    ev = evaluation(binning=True)
    out = metrics_record("gw_cnnae_aligo", ev, "ckpt/last.ckpt", "CAE")
    assert out["task"] == "gw_cnnae_aligo" and out["checkpoint"] == "ckpt/last.ckpt"
    assert out["auroc"] == ev.model.metrics["auroc"] and out["references"] == {"excess power": ev.references[
        "excess power"].metrics}  # fmt: skip
    assert set(out["efficiency"]) == {"CAE", "excess power"} and len(out["efficiency"]["CAE"]) == 2
    assert "efficiency" not in metrics_record(None, evaluation(binning=False), None, "CAE")


def test_latent_coordinates_are_the_vae_means_in_batches_and_none_without_a_latent_space() -> None:
    torch.manual_seed(0)
    vae = VAEModule(DenseVAE((1, 16), hidden=[8], latent_dim=3), partial(torch.optim.Adam))
    x = torch.rand(10, 1, 16)
    z = latent_coordinates(vae, x, batch_size=4)
    with torch.no_grad():
        np.testing.assert_allclose(z, vae.net.encode(x)[0].numpy(), rtol=1e-6)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 1), torch.nn.Flatten(0))
    assert latent_coordinates(ClassifierModule(net, partial(torch.optim.Adam)), x) is None


def test_efficiency_table_compares_the_model_with_the_first_reference() -> None:
    row = {"lo": 8.0, "hi": 14.0, "n": 40, "efficiency": 0.25, "low": 0.2, "high": 0.3}
    rows = {"CAE": [row], "matched filter": [row | {"efficiency": 0.5}], "excess power": [row | {"efficiency": 0.0}]}
    lines = efficiency_table(rows, "snr", "CAE").splitlines()
    assert lines[0] == "| snr bin | n | CAE | matched filter | excess power | CAE / matched filter |"
    assert lines[2] == "| [8, 14) | 40 | 25.0 % [20.0, 30.0] | 50.0 % | 0.0 % | 0.500 |"
    zero = efficiency_table({"CAE": [row], "excess power": [row | {"efficiency": 0.0}]}, "snr", "CAE")
    assert zero.splitlines()[2].endswith("| — |")  # no ratio to a reference that flagged nothing
