"""Multiruns beyond one process: `hydra/launcher=slurm` composes into a submitit SLURM job array sized for Lightning's
DDP (one task per GPU, nodes from the trainer), `hydra/launcher=local` runs jobs side by side with joblib, and
submitit's local executor runs a real two-job sweep the way SLURM would, each job in its own process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from anomaly_lab.config import register_schemas
from anomaly_lab.train import CONFIG_DIR

SMOKE = ("experiment=gw_cnnae", "debug=smoke")


def launcher(*overrides: str) -> DictConfig:
    """The resolved `hydra.launcher` node of a config composed with `overrides`."""
    register_schemas()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose(config_name="train", overrides=[*SMOKE, *overrides], return_hydra_config=True)
    return OmegaConf.create(OmegaConf.to_container(cfg.hydra.launcher, resolve=True))


def test_slurm_launcher_takes_partition_and_account_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_PARTITION", "gpu-a100")
    monkeypatch.setenv("SLURM_ACCOUNT", "physics")
    slurm = launcher("hydra/launcher=slurm")
    assert slurm._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert (slurm.partition, slurm.account) == ("gpu-a100", "physics")
    monkeypatch.delenv("SLURM_PARTITION")
    monkeypatch.delenv("SLURM_ACCOUNT")
    assert (launcher("hydra/launcher=slurm").partition, launcher("hydra/launcher=slurm").account) == (None, None)


def test_slurm_launcher_defaults_to_one_gpu_one_task_one_node_with_logs_in_the_sweep_dir() -> None:
    slurm = launcher("hydra/launcher=slurm")
    assert (slurm.gpus_per_node, slurm.tasks_per_node, slurm.nodes) == (1, 1, 1)
    assert (slurm.timeout_min, slurm.mem_gb, slurm.cpus_per_task) == (240, 32, 8)
    assert Path(slurm.submitit_folder).parent.parent.parent.name == "multiruns"
    assert slurm.submitit_folder.endswith("/.submitit/%j")


def test_outgrowing_one_machine_asks_slurm_for_one_task_per_gpu_on_every_node() -> None:
    slurm = launcher(
        "hydra/launcher=slurm", "trainer=ddp", "trainer.devices=4", "hydra.launcher.gpus_per_node=4",
        "trainer.num_nodes=2",
    )  # fmt: skip
    assert (slurm.gpus_per_node, slurm.tasks_per_node, slurm.nodes) == (4, 4, 2)


def test_local_launcher_runs_as_many_jobs_at_once_as_anomaly_lab_jobs_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANOMALY_LAB_JOBS", raising=False)
    local = launcher("hydra/launcher=local")
    assert local._target_ == "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
    assert local.n_jobs == 2
    monkeypatch.setenv("ANOMALY_LAB_JOBS", "4")
    assert launcher("hydra/launcher=local").n_jobs == 4


@pytest.mark.slow
def test_two_nodes_of_four_gpus_become_an_sbatch_array_with_one_task_per_gpu(run_cli, tmp_path: Path) -> None:
    # stand-ins for SLURM's commands: `sbatch` keeps the script submitit hands it and refuses the job
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "sbatch").write_text('#!/bin/sh\ncp "$1" "$SBATCH_COPY"\necho "sbatch: not a cluster" >&2\nexit 1\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    proc = run_cli(
        "-m", *SMOKE, "hydra/launcher=slurm", "trainer=ddp", "trainer.devices=4", "hydra.launcher.gpus_per_node=4",
        "trainer.num_nodes=2", "seed=1,2",
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}", "SBATCH_COPY": str(tmp_path / "job.sh"),
             "SLURM_PARTITION": "gpu-a100"},
    )  # fmt: skip
    assert "sbatch: not a cluster" in proc.stderr
    script = (tmp_path / "job.sh").read_text()
    for flag in ("--array=0-1%2", "--nodes=2", "--ntasks-per-node=4", "--gpus-per-node=4", "--partition=gpu-a100",
                 "--time=240", "--mem=32GB", "--cpus-per-task=8"):  # fmt: skip
        assert f"#SBATCH {flag}\n" in script, flag
    (sweep,) = tmp_path.glob("logs/gw_cnnae_aligo/multiruns/*")
    assert f"--output {sweep}/.submitit/" in script


@pytest.mark.slow
def test_submitit_runs_each_job_of_a_sweep_in_its_own_process(run_cli, tmp_path: Path) -> None:
    proc = run_cli(
        "-m", *SMOKE, "hydra/launcher=submitit_local", "trainer.limit_train_batches=2", "model.optimizer.lr=0.001,0.003"
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (sweep,) = tmp_path.glob("logs/*/multiruns/*")
    assert sorted(p.parent.name for p in sweep.glob("*/metrics.json")) == ["0", "1"]
    # submitit's own record of each job (its pickled call, stdout and stderr) is in the sweep dir
    assert len(list(sweep.glob(".submitit/*/*_result.pkl"))) == 2


@pytest.mark.slow
def test_local_launcher_runs_a_sweep_two_jobs_at_a_time(run_cli, tmp_path: Path) -> None:
    proc = run_cli(
        "-m", *SMOKE, "hydra/launcher=local", "trainer.limit_train_batches=2", "model.optimizer.lr=0.001,0.003"
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (sweep,) = tmp_path.glob("logs/*/multiruns/*")
    assert sorted(p.parent.name for p in sweep.glob("*/metrics.json")) == ["0", "1"]
    assert "Joblib.Parallel(n_jobs=2" in proc.stdout + proc.stderr
