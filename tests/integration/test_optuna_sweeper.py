"""The Optuna sweeper on the real entry point and tiny GW data: a search runs n_trials jobs on the validation AUROC
and writes its results; a search killed mid-trial resumes and reruns the trial it left; two processes started
together share one study and run each trial once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import optuna
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from optuna.trial import TrialState

from anomaly_lab.config import register_schemas

ROOT = Path(__file__).resolve().parents[2]
DONE = (TrialState.COMPLETE, TrialState.PRUNED)
# smaller than debug=smoke and without the reference scorers: about 4 s a trial after the first
SEARCH = ("-m", "experiment=gw_cnnae", "debug=smoke", "hparams_search=gw_optuna", "data.references={}",
          "data.sizes.train=128", "data.sizes.val=64", "data.sizes.val_signal=64", "data.sizes.test_background=64",
          "data.sizes.test_signal=64", "trainer.limit_val_batches=1", "hydra.sweeper.n_trials=4")  # fmt: skip


def _start(tmp_path: Path, *args: str) -> subprocess.Popen:
    """The entry point in the background, as the `run_cli` fixture runs it (logs and caches under tmp_path)."""
    env = os.environ | {"ANOMALY_LAB_ROOT": str(tmp_path), "WANDB_MODE": "offline", "HYDRA_FULL_ERROR": "0"}
    env.pop("ANOMALY_LAB_CACHE", None)
    return subprocess.Popen([sys.executable, "-m", "anomaly_lab", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip


def _study(tmp_path: Path) -> optuna.Study:
    """The one study of the search, read from its default storage, logs/<task_name>/optuna.db."""
    url = f"sqlite:///{tmp_path / 'logs' / 'gw_cnnae_aligo' / 'optuna.db'}"
    (name,) = optuna.get_all_study_names(storage=url)
    return optuna.load_study(study_name=name, storage=url)


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen, timeout: float = 240) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        assert time.monotonic() < end, "timed out"
        time.sleep(0.2)


def _trials_so_far(tmp_path: Path) -> list[optuna.trial.FrozenTrial]:
    try:
        return _study(tmp_path).trials
    except Exception:  # noqa: BLE001 - the storage or the study does not exist yet
        return []


@pytest.mark.slow
def test_a_search_runs_its_trials_on_the_validation_auroc_and_writes_the_best(run_cli, tmp_path: Path) -> None:
    proc = run_cli(*SEARCH)
    assert proc.returncode == 0, proc.stderr[-3000:]
    trials = _study(tmp_path).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4  # one epoch: within the pruner's warm-up
    (sweep,) = tmp_path.glob("logs/gw_cnnae_aligo/multiruns/*")
    for t in trials:  # each value is the validation AUROC of its run, not a test metric
        metrics = json.loads((sweep / f"trial_{t.number}" / "metrics.json").read_text())
        assert t.value == pytest.approx(metrics["val_auroc"]) and metrics["val_loss"] > 0
    best = max(trials, key=lambda t: t.value)
    results = OmegaConf.load(sweep / "optimization_results.yaml")
    assert results.best_value == best.value == max(t.value for t in trials) and results.best_trial == best.number
    assert results.best_params == best.params and results.trials == {"complete": 4}

    # best_trial.yaml is a primary config that composes the best trial's run
    text = (sweep / "best_trial.yaml").read_text()
    assert "#   python -m anomaly_lab experiment=gw_cnnae debug=smoke hparams_search=gw_optuna" in text
    register_schemas()
    with initialize_config_dir(str(sweep), version_base="1.3"):
        cfg = compose("best_trial", overrides=[f"hydra.searchpath=[file://{ROOT / 'conf'}]"])
    assert cfg.model.optimizer.lr == best.params["model.optimizer.lr"]
    assert str(list(cfg.model.net.encoder_channels)).replace(" ", "") == best.params["model.net.encoder_channels"]
    assert cfg.data.sizes.train == 128 and cfg.trainer.max_epochs == 1 and "optuna" not in cfg


@pytest.mark.slow
def test_a_killed_search_resumes_and_reruns_the_trial_it_left_running(run_cli, tmp_path: Path) -> None:
    args = (*SEARCH, "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=3")
    proc = _start(tmp_path, *args)
    try:
        states = lambda: [t.state for t in _trials_so_far(tmp_path)]  # noqa: E731
        _wait_for(lambda: states().count(TrialState.COMPLETE) == 2 and TrialState.RUNNING in states(), proc)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    at_kill = _study(tmp_path).trials  # read after the kill: a trial may have finished since the last poll
    (left,) = [t for t in at_kill if t.state == TrialState.RUNNING]
    done_at_kill = sum(t.state in DONE for t in at_kill)
    assert done_at_kill in (2, 3)

    again = run_cli(*args)
    assert again.returncode == 0, again.stderr[-3000:]
    trials = _study(tmp_path).trials
    assert sum(t.state in DONE for t in trials) == 4
    # the trial the kill left running failed, and its parameters ran again as a queued retry
    assert trials[left.number].state == TrialState.FAIL
    (retry,) = [t for t in trials if t.system_attrs.get("failed_trial") == left.number]
    assert retry.state in DONE and retry.params == left.params
    assert len(trials) == 5 and f"{done_at_kill} of 4 trials done" in again.stdout + again.stderr


@pytest.mark.slow
def test_two_processes_share_one_study_and_run_each_trial_once(tmp_path: Path) -> None:
    procs = [_start(tmp_path, *SEARCH) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    trials = _study(tmp_path).trials
    done = sorted(t.number for t in trials if t.state in DONE)
    assert len(done) == 4
    # a trial beyond the fourth lost the race for the last place and was never run
    assert all(t.user_attrs.get("surplus") for t in trials if t.state not in DONE)
    ran = sorted(p.parent.name for p in tmp_path.glob("logs/gw_cnnae_aligo/multiruns/*/trial_*/metrics.json"))
    assert ran == [f"trial_{n}" for n in done]
    told = [line.split("trial ")[1].split()[0] for out in outputs for line in out.splitlines() if " COMPLETE: " in line]
    assert sorted(map(int, told)) == done
