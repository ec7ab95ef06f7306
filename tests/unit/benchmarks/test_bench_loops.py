"""The plain loops of `make bench` do the study's work: the same per-sample score and loss as the module, a training
loop that really steps the optimiser, and rates from whole epochs after the warm-up."""

from __future__ import annotations

import pytest
import torch

from anomaly_lab.benchmarks.loops import (
    per_sample_loss,
    per_sample_score,
    plain_scoring,
    plain_training,
    warmup_inputs,
)
from anomaly_lab.benchmarks.networks import build_module, composed, random_inputs


@pytest.fixture(scope="module")
def studies(tmp_path_factory) -> dict:
    out = str(tmp_path_factory.mktemp("bench"))
    return {name: composed(name, "cpu", out) for name in ("jets", "lhco")}


@pytest.mark.parametrize("network", ["jets", "lhco"])
def test_plain_score_is_the_modules_score(studies, network: str) -> None:
    cfg = studies[network]
    module, x = build_module(cfg, seed=0).eval(), random_inputs(cfg, 6)
    with torch.no_grad():
        assert torch.allclose(per_sample_score(module)(module.net, x), module.predict_step([x], 0))


@pytest.mark.parametrize("network", ["jets", "lhco"])
def test_plain_loss_is_the_modules_training_loss(studies, network: str) -> None:
    cfg = studies[network]
    module, x = build_module(cfg, seed=0).train(), random_inputs(cfg, 6)
    torch.manual_seed(1)  # the VAE samples its latent: the same draw for both
    plain = per_sample_loss(module)(module.net, x).mean()
    torch.manual_seed(1)
    assert torch.allclose(plain, module.loss([x, None], "train"))


@pytest.mark.parametrize("bf16", [False, True])
def test_plain_training_steps_the_studys_optimiser(studies, bf16: bool) -> None:
    cfg = studies["jets"]
    module, x = build_module(cfg, seed=0), random_inputs(cfg, 64)
    before = [p.detach().clone() for p in module.net.parameters()]
    rate = plain_training(module, x, batch_size=16, epochs=2, warmup=1, bf16=bf16)
    assert rate > 0
    assert all(not torch.equal(a, b) for a, b in zip(before, module.net.parameters(), strict=True))


def test_a_training_run_without_timed_batches_is_refused(studies) -> None:
    cfg = studies["jets"]
    with pytest.raises(ValueError, match="no timed batch"):
        plain_training(build_module(cfg, seed=0), random_inputs(cfg, 32), batch_size=16, epochs=2, warmup=2)


def test_plain_scoring_scores_every_sample(studies, monkeypatch) -> None:
    cfg = studies["jets"]
    module, x = build_module(cfg, seed=0), random_inputs(cfg, 40)
    seen: list[int] = []
    score = per_sample_score(module)
    monkeypatch.setattr("anomaly_lab.benchmarks.loops.per_sample_score",
                        lambda m: lambda net, xb: seen.append(len(xb)) or score(net, xb))  # fmt: skip
    assert plain_scoring(module, x, batch_size=16, warmup=1) > 0
    assert seen == [16, 16, 16, 8]  # one warm-up batch, then every sample once


def test_a_compiled_warm_up_sees_the_timed_shape() -> None:
    x = torch.zeros(5000, 3)
    assert len(warmup_inputs(x, 4096, compile=True)) == 4096
    assert len(warmup_inputs(x, 4096, compile=False)) == 256  # a CPU need not score a whole batch twice
