"""The evaluation of a run: threshold from validation, every test number from the test scores (checked against
scikit-learn), each reference with its own threshold; and scores come back in the loader's order."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
from scipy.stats import binomtest
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from anomaly_lab.evaluation.evaluate import REJECTION_SIGNAL_EFFICIENCY, Binning, evaluate, evaluate_scorer
from anomaly_lab.evaluation.per_signal import Processes
from anomaly_lab.evaluation.scoring import score_inputs
from anomaly_lab.evaluation.thresholds import FprThreshold, PercentileThreshold
from anomaly_lab.models.autoencoder import AutoencoderModule
from anomaly_lab.models.nets.dense import DenseAutoencoder


def scores(shift: float, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1], [600, 200])
    return {
        "val": rng.normal(size=1000),
        "val_signal": rng.normal(shift, 1, size=100),
        "test": rng.normal(size=800) + shift * labels,
    }, labels


def test_test_metrics_follow_from_the_validation_threshold_and_the_test_roc() -> None:
    s, labels = scores(1.5)
    result = evaluate_scorer(FprThreshold(0.05), s, labels)
    m, test = result.metrics, s["test"]
    assert result.threshold == FprThreshold(0.05).fit(s["val"])  # fitted on background validation only
    assert np.mean(s["val"] > result.threshold) <= 0.05
    assert m["fpr_at_threshold"] == np.mean(test[labels == 0] > result.threshold)
    assert m["tpr_at_fpr"] == np.mean(test[labels == 1] > result.threshold)
    assert m["auroc"] == pytest.approx(roc_auc_score(labels, test), abs=1e-6)
    assert m["average_precision"] == pytest.approx(average_precision_score(labels, test), abs=1e-5)
    fpr, tpr, _ = roc_curve(labels, test)
    assert m["roc_tpr_at_target_fpr"] == pytest.approx(tpr[fpr <= 0.05].max())
    assert m["background_rejection"] == pytest.approx(1 / fpr[tpr >= REJECTION_SIGNAL_EFFICIENCY].min())
    assert (m["policy"], m["target_fpr"], m["n_test_background"], m["n_test_signal"]) == ("fpr", 0.05, 600, 200)
    # the events behind each figure, and its 68 % Clopper-Pearson interval
    assert m["background_rejection_n_background_passing"] == round(600 * fpr[tpr >= REJECTION_SIGNAL_EFFICIENCY].min())
    low, high = m["background_rejection_interval"]
    assert low < m["background_rejection"] < high
    k = int((test[labels == 1] > result.threshold).sum())
    ci = binomtest(k, 200).proportion_ci(confidence_level=0.68, method="exact")
    assert (m["tpr_at_fpr_n_signal_passing"], m["tpr_at_fpr_interval"]) == (k, [pytest.approx(ci.low),
                                                                                 pytest.approx(ci.high)])  # fmt: skip
    assert m["fpr_at_threshold_n_background_passing"] == int((test[labels == 0] > result.threshold).sum())
    np.testing.assert_array_equal(result.flagged, test > result.threshold)


def test_each_reference_gets_its_own_threshold_and_the_same_binning() -> None:
    model, labels = scores(0.5, seed=1)
    reference, _ = scores(3.0, seed=2)
    snr = np.r_[np.zeros(600), np.linspace(4, 19.9, 200)]
    binning = Binning("snr", snr, [4, 12, 20])
    ev = evaluate(PercentileThreshold(90), model, labels, {"matched filter": reference}, binning)
    ref = ev.references["matched filter"]
    assert ev.model.threshold == np.percentile(model["val"], 90)
    assert ref.threshold == np.percentile(reference["val"], 90) != ev.model.threshold
    assert list(ev.scorers("CAE")) == ["CAE", "matched filter"]
    for result in (ev.model, ref):
        sig = labels == 1
        low = sig & (snr < 12)
        assert [r["n"] for r in result.efficiency] == [low.sum(), (sig & ~low).sum()]
        assert result.efficiency[0]["efficiency"] == np.mean(result.scores["test"][low] > result.threshold)
    assert ref.metrics["auroc"] > ev.model.metrics["auroc"]


def test_efficiency_is_binned_on_every_variable_for_all_signals_and_each_process() -> None:
    model, labels = scores(1.0, seed=3)
    codes = np.r_[np.zeros(600, int), np.repeat([1, 2], 100)]
    snr = np.r_[np.zeros(600), np.linspace(4, 19.9, 200)]
    binnings = [Binning("snr", snr, [4, 12, 20]), Binning("snr_full", 1.5 * snr, [4, 12, 20, 30])]
    ev = evaluate(FprThreshold(0.1), model, labels, None, binnings, Processes(codes, ["bbh", "ringdown"]))
    by = ev.model.efficiency_by
    assert ev.binning.variable == "snr" and list(by) == ["snr", "snr_full"]
    assert list(by["snr_full"]) == ["all", "bbh", "ringdown"] and ev.model.efficiency == by["snr"]["all"]
    flagged = model["test"] > ev.model.threshold
    for variable, values in (("snr", snr), ("snr_full", 1.5 * snr)):
        for name, keep in (("bbh", codes == 1), ("ringdown", codes == 2)):
            rows = by[variable][name]
            assert sum(r["n"] for r in rows) == keep.sum()
            first = keep & (values >= rows[0]["lo"]) & (values < rows[0]["hi"])
            assert rows[0]["n_flagged"] == (flagged & first).sum()


@pytest.mark.parametrize("batch_size", [16, 50, 64])
def test_scores_come_back_one_per_sample_in_input_order(batch_size: int) -> None:
    torch.manual_seed(0)
    module = AutoencoderModule(DenseAutoencoder((6,), hidden=[4], latent_dim=2), partial(torch.optim.Adam))
    x = torch.randn(50, 6)
    got = score_inputs(module, x, batch_size=batch_size)
    with torch.no_grad():
        expected = ((module.net(x) - x) ** 2).mean(1).numpy()
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_compiled_model_scores_padded_batches_like_the_eager_one() -> None:
    torch.manual_seed(0)
    net = DenseAutoencoder((6,), hidden=[4], latent_dim=2)
    eager = AutoencoderModule(net, partial(torch.optim.Adam))
    compiled = AutoencoderModule(net, partial(torch.optim.Adam), compile=True)
    assert compiled.compiled and set(compiled.state_dict()) == set(eager.state_dict())  # same checkpoint keys
    x = torch.randn(50, 6)
    np.testing.assert_allclose(score_inputs(compiled, x, 16), score_inputs(eager, x, 16), rtol=1e-5)


def test_bf16_precision_scores_under_autocast() -> None:
    torch.manual_seed(0)
    module = AutoencoderModule(DenseAutoencoder((6,), hidden=[4], latent_dim=2), partial(torch.optim.Adam))
    x = torch.randn(50, 6)
    full, half = score_inputs(module, x, 16), score_inputs(module, x, 16, precision="bf16-mixed")
    assert not np.array_equal(full, half)  # bfloat16 matmuls: a ~1e-2 relative difference, not none
    np.testing.assert_allclose(half, full, rtol=5e-2)
