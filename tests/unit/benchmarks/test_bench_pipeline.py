"""Our side of `make bench` runs the study's Trainer (its callbacks and logger, no checkpoints) and the pipeline's
scorer; paths run alternately, and one that fails is reported without ending the run."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint, RichProgressBar
from lightning.pytorch.loggers import CSVLogger

from anomaly_lab.benchmarks.networks import composed, random_inputs
from anomaly_lab.benchmarks.paths import Measure, run_alternately
from anomaly_lab.benchmarks.pipeline import BatchClock, lightning_training, our_scoring, study_trainer
from anomaly_lab.models.callbacks import RandomStateInCheckpoint, StopOnNonFiniteLoss

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def jets(tmp_path_factory):
    return composed("jets", "cpu", str(tmp_path_factory.mktemp("bench")))


def test_the_study_trainer_keeps_its_callbacks_and_logger_but_writes_no_checkpoint(jets) -> None:
    trainer = study_trainer(jets, BatchClock(1, CPU), epochs=1, precision=None, bare=False)
    kinds = {type(c) for c in trainer.callbacks}
    assert {RichProgressBar, StopOnNonFiniteLoss, RandomStateInCheckpoint, BatchClock} <= kinds
    assert not kinds & {ModelCheckpoint, EarlyStopping}
    assert [type(lg) for lg in trainer.loggers] == [CSVLogger]
    bare = study_trainer(jets, BatchClock(1, CPU), epochs=1, precision="32-true", bare=True)
    assert not bare.loggers and {type(c) for c in bare.callbacks} == {BatchClock}


def test_lightning_training_and_our_scoring_give_rates(jets) -> None:
    x = random_inputs(jets, 64)
    assert lightning_training(jets, x, batch_size=16, epochs=2, warmup=1, seed=0, device=CPU) > 0
    assert lightning_training(jets, x, batch_size=16, epochs=1, warmup=1, seed=0, device=CPU, bare=True) > 0
    assert our_scoring(jets, x, batch_size=32, warmup=1, seed=0, device=CPU, precision="32-true") > 0


def test_the_clock_starts_after_the_warm_up_batches() -> None:
    clock = BatchClock(2, CPU)
    trainer = type("T", (), {"current_epoch": 0})()
    clock.on_train_batch_end(trainer, None, None, None, 0)
    assert clock.start == 0.0
    clock.on_train_batch_end(trainer, None, None, None, 1)
    assert clock.start > 0
    with pytest.raises(ValueError):
        BatchClock(0, CPU)


def test_a_failing_path_is_reported_and_the_others_run_alternately() -> None:
    calls: list[str] = []

    def path(name: str, rate: float):
        def run(seed: int) -> float:
            calls.append(f"{name}{seed}")
            if rate < 0:
                raise RuntimeError("inductor: no compiler\nlong traceback")
            return rate

        return run

    measures = [Measure("scoring", n, "plain", 8, path(n, r)) for n, r in (("a", 1.0), ("b", -1.0), ("c", 3.0))]
    rates, errors = run_alternately(measures, repeats=2)
    assert rates == [[1.0, 1.0], [], [3.0, 3.0]]
    assert errors == [None, "RuntimeError: inductor: no compiler", None]
    assert calls == ["a0", "b0", "c0", "c1", "a1"]  # the second round in reverse, the failed path not again


def test_nothing_starts_after_the_budget() -> None:
    measures = [Measure("training", "a", "plain", 8, lambda seed: 1.0)]
    assert run_alternately(measures, repeats=2, deadline=0.0) == ([[]], ["not run: --budget-s spent"])


def test_a_trainer_stopping_early_is_no_rate(jets, monkeypatch) -> None:
    monkeypatch.setattr(L.Trainer, "fit", lambda self, *a, **k: None)
    with pytest.raises(RuntimeError, match="stopped before"):
        lightning_training(jets, random_inputs(jets, 64), batch_size=16, epochs=1, warmup=1, seed=0, device=CPU)
