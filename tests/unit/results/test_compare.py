"""The sweep-comparison CLI on fake multirun directories: the overrides that vary become columns, seeds are
averaged with numpy's ddof=1 spread, the best job follows the sweep's metric and direction, the CSV reads back
to the recorded numbers, and an Optuna sweep gets its study's best trial and figures."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from omegaconf import OmegaConf

from anomaly_lab.results.compare import compare, main
from anomaly_lab.results.compare_figures import axis_positions

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TPR_HEADER, REJECTION_HEADER = "TPR at 5 % FPR (val. threshold)", "1/FPR at 30 % TPR"


def metrics(auroc: float, **extra: Any) -> dict[str, Any]:
    """A metrics.json as a finished run writes it (the keys the comparison reads, and a reference it ignores)."""
    return {"task": "gw_cnnae_aligo", "auroc": auroc, "tpr_at_fpr": auroc / 2, "target_fpr": 0.05, "threshold": 1.0,
            "fpr_at_threshold": 0.05, "background_rejection": 10 * auroc, "rejection_signal_efficiency": 0.3,
            "max_sic": 3 * auroc, "average_precision": auroc, "n_test_background": 128, "n_test_signal": 128,
            "references": {"matched filter": {"auroc": 1.0}}} | extra  # fmt: skip


def make_sweep(root: Path, jobs: list[tuple[list[str], dict[str, Any] | None]], **config: Any) -> Path:
    """A multirun directory: multirun.yaml (`config`, with a basic sweeper unless given) and per job its
    .hydra/overrides.yaml and, for a finished job, metrics.json."""
    sweep = root / "multiruns" / "2026-01-01_00-00-00"
    config.setdefault("hydra", {"sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"}})
    sweep.mkdir(parents=True)
    OmegaConf.save(OmegaConf.create({"task_name": "gw", "optimized_metric": "auroc"} | config), sweep / "multirun.yaml")
    for i, (overrides, m) in enumerate(jobs):
        (sweep / str(i) / ".hydra").mkdir(parents=True)
        OmegaConf.save(OmegaConf.create(overrides), sweep / str(i) / ".hydra" / "overrides.yaml")
        if m is not None:
            (sweep / str(i) / "metrics.json").write_text(json.dumps(m))
    return sweep


AUROCS = {("0.001", "1"): 0.91, ("0.001", "2"): 0.95, ("0.001", "3"): 0.92,
          ("0.01", "1"): 0.81, ("0.01", "2"): 0.86, ("0.01", "3"): 0.80}  # fmt: skip


def grid(root: Path, **config: Any) -> Path:
    """2 learning rates x 3 seeds, in Hydra's order (the last override varies fastest), one constant override."""
    jobs = [(["experiment=gw_cnnae", f"model.optimizer.lr={lr}", f"seed={seed}"], metrics(auroc))
            for (lr, seed), auroc in AUROCS.items()]  # fmt: skip
    return make_sweep(root, jobs, **config)


def tables(markdown: str) -> list[list[list[str]]]:
    """Every markdown table in the text, as rows of cells (the header first, the rule dropped)."""
    out: list[list[list[str]]] = []
    previous = ""
    for line in markdown.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            if not previous.startswith("|"):
                out.append([])
            out[-1].append([c.strip() for c in line.strip().strip("|").split("|")])
        previous = line
    return out


def test_columns_are_the_overrides_that_vary_and_the_constant_ones_are_named_once(tmp_path: Path) -> None:
    markdown = compare(grid(tmp_path))
    jobs = tables(markdown)[0]
    assert jobs[0] == ["job", "model.optimizer.lr", "seed", "AUC", TPR_HEADER, REJECTION_HEADER, "max SIC"]
    assert [row[1:3] for row in jobs[1:]] == [list(k) for k in AUROCS]
    assert [row[3] for row in jobs[1:]] == [f"{a:.4f}" for a in AUROCS.values()]
    assert "Overrides shared by every job: `experiment=gw_cnnae`" in markdown
    assert "experiment" not in jobs[0]


def test_seed_table_gives_numpy_mean_and_sample_std_per_learning_rate(tmp_path: Path) -> None:
    seeds = tables(compare(grid(tmp_path)))[1]
    assert seeds[0] == ["model.optimizer.lr", "n", "AUC", TPR_HEADER, REJECTION_HEADER, "max SIC"]
    for row, lr in zip(seeds[1:], ["0.001", "0.01"], strict=True):
        values = np.array([a for (rate, _), a in AUROCS.items() if rate == lr])
        assert row[:2] == [lr, "3"]
        assert row[2] == f"{values.mean():.4f} ± {values.std(ddof=1):.4f}"
        assert row[5] == f"{3 * values.mean():.2f} ± {3 * values.std(ddof=1):.2f}"
    assert len(seeds) == 3


def test_best_job_is_marked_named_and_flagged_in_the_csv(tmp_path: Path) -> None:
    sweep = grid(tmp_path)
    markdown = compare(sweep)
    best = max(range(len(AUROCS)), key=lambda i: list(AUROCS.values())[i])  # job 1: lr 0.001, seed 2
    marked = [row[0] for row in tables(markdown)[0][1:] if row[0].endswith("★")]
    assert marked == [f"{best} ★"]
    assert "Best job by `auroc` (maximize): **1** (model.optimizer.lr=0.001, seed=2), auroc = 0.9500." in markdown
    rows = list(csv.DictReader((sweep / "compare.csv").open()))
    assert [r["job"] for r in rows if r["best"] == "true"] == [str(best)]


def test_a_loss_metric_is_minimised_and_gets_its_own_column(tmp_path: Path) -> None:
    jobs = [([f"model.optimizer.lr={lr}"], metrics(0.9, val_loss=loss, val_auroc=0.8)) for lr, loss in
            [("0.1", 0.5), ("0.2", 0.2), ("0.3", 0.9)]]  # fmt: skip
    markdown = compare(make_sweep(tmp_path, jobs, optimized_metric="val_loss"))
    header, *rows = tables(markdown)[0]
    assert header[2:4] == ["AUC", "val. AUC"] and header[-1] == "val. loss"
    assert [row[0] for row in rows] == ["0", "1 ★", "2"]
    assert "(minimize)" in markdown


def test_the_sweepers_declared_direction_wins(tmp_path: Path) -> None:
    jobs = [([f"model.optimizer.lr={lr}"], metrics(a)) for lr, a in [("0.1", 0.9), ("0.2", 0.7)]]
    sweep = make_sweep(tmp_path, jobs, hydra={"sweeper": {"direction": "minimize"}})
    assert [row[0] for row in tables(compare(sweep))[0][1:]] == ["0", "1 ★"]


def test_csv_reads_back_to_the_recorded_numbers_and_lists_unfinished_jobs(tmp_path: Path) -> None:
    recorded = [metrics(0.9123456789), metrics(0.8, background_rejection=None), None]
    sweep = make_sweep(tmp_path, [([f"seed={i}"], m) for i, m in enumerate(recorded)])
    markdown = compare(sweep)
    rows = list(csv.DictReader((sweep / "compare.csv").open()))
    assert list(rows[0]) == ["job", "seed", "status", "auroc", "tpr_at_fpr", "background_rejection", "max_sic",
                             "best"]  # fmt: skip
    for row, m in zip(rows[:2], recorded[:2], strict=True):
        assert row["status"] == "finished"
        assert float(row["auroc"]) == m["auroc"] and float(row["max_sic"]) == m["max_sic"]
    assert float(rows[0]["background_rejection"]) == recorded[0]["background_rejection"]
    assert float(rows[1]["background_rejection"]) == float("inf")  # null in metrics.json: no background left
    assert rows[2]["status"] == "failed/unfinished" and rows[2]["auroc"] == ""
    assert tables(markdown)[0][3][-1] == "failed/unfinished"
    assert "Failed/unfinished (no metrics.json): 2 (seed=2)" in markdown
    assert (sweep / "compare.md").read_text() == markdown


def test_compare_png_is_written_and_axes_follow_the_values(tmp_path: Path) -> None:
    sweep = grid(tmp_path)
    compare(sweep)
    assert (sweep / "compare.png").read_bytes()[:8] == PNG_MAGIC
    assert axis_positions(["0.0001", "0.01"])[2] is True  # two decades: a log axis
    assert axis_positions(["0.001", "0.003"])[2] is False
    x, categories, log = axis_positions(["[256,128]", "[256,64]", "[256,128]"])
    assert categories == ["[256,128]", "[256,64]"] and x.tolist() == [0, 1, 0] and not log


def test_a_directory_that_is_not_a_multirun_exits_with_one_line_naming_it(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "2026-01-01"
    (run / ".hydra").mkdir(parents=True)
    OmegaConf.save(OmegaConf.create(["seed=1"]), run / ".hydra" / "overrides.yaml")
    with pytest.raises(SystemExit) as exc:
        compare(run)
    message = str(exc.value)
    assert "\n" not in message and str(run) in message and "no multirun.yaml" in message
    assert "expected a Hydra multirun directory" in message


def test_cli_prints_the_markdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    sweep = grid(tmp_path)
    monkeypatch.setattr(sys, "argv", ["compare", str(sweep)])
    main()
    assert capsys.readouterr().out == (sweep / "compare.md").read_text()


def optuna_sweep(root: Path, params: tuple[str, ...], n_trials: int, **sweeper: Any) -> tuple[Path, optuna.Study]:
    """An Optuna study in SQLite beside fake jobs, with multirun.yaml naming it as the sweeper records it."""
    jobs = [([f"model.optimizer.lr={0.001 * (i + 1)}"], metrics(0.8 + 0.01 * i)) for i in range(n_trials)]
    recorded = {"storage": "sqlite:///${hydra.sweep.dir}/optuna.db", "study_name": "gw_lr", "direction": "maximize"}
    sweep = make_sweep(root, jobs, hydra={"sweeper": recorded | sweeper})
    study = optuna.create_study(storage=f"sqlite:///{sweep / 'optuna.db'}", study_name="gw_lr", direction="maximize")
    study.optimize(lambda t: sum(-((t.suggest_float(p, -1, 1) - 0.3) ** 2) for p in params), n_trials=n_trials)
    return sweep, study


def test_optuna_sweep_gets_best_trial_history_and_importances(tmp_path: Path) -> None:
    sweep, study = optuna_sweep(tmp_path, ("x", "y"), n_trials=6)
    markdown = compare(sweep)
    best = study.best_trial
    assert f"Best trial: #{best.number}, value {best.value:.6g}, params `x={best.params['x']}`" in markdown
    assert "6 complete of 6 trials" in markdown
    for name in ("optuna_history.png", "optuna_importances.png", "compare.png"):
        assert (sweep / name).read_bytes()[:8] == PNG_MAGIC, name


def test_importances_are_skipped_with_a_note_for_one_parameter(tmp_path: Path) -> None:
    sweep, _ = optuna_sweep(tmp_path, ("x",), n_trials=3)
    markdown = compare(sweep)
    assert "Parameter importances skipped: 1 parameter searched." in markdown
    assert (sweep / "optuna_history.png").is_file() and not (sweep / "optuna_importances.png").exists()


def test_an_unopenable_storage_costs_one_line_and_creates_no_database(tmp_path: Path) -> None:
    jobs = [([f"seed={s}"], metrics(0.9)) for s in (1, 2)]
    sweep = make_sweep(tmp_path, jobs, hydra={"sweeper": {"storage": "sqlite:///gone/optuna.db", "study_name": "x"}})
    (sweep / "optimization_results.yaml").write_text("name: optuna\nbest_params:\n  seed: 2\nbest_value: 0.9\n")
    markdown = compare(sweep)
    [line] = [line for line in markdown.splitlines() if "could not be opened" in line]
    assert "sqlite:///gone/optuna.db: no such SQLite file" in line
    assert "Best trial recorded in optimization_results.yaml: value 0.9, params `seed=2`." in markdown
    assert not (tmp_path / "gone").exists() and not Path("gone").exists()
    assert len(tables(markdown)[0]) == 3 and (sweep / "compare.csv").is_file()


def test_the_study_the_sweeper_recorded_wins_over_placeholders_in_multirun_yaml(tmp_path: Path) -> None:
    sweep, study = optuna_sweep(tmp_path, ("x", "y"), n_trials=4, storage="sqlite:///{log_dir}/{task_name}/optuna.db",
                                study_name=None)  # fmt: skip
    results = {"name": "optuna", "storage": f"sqlite:///{sweep / 'optuna.db'}", "study_name": "gw_lr"}
    OmegaConf.save(OmegaConf.create(results), sweep / "optimization_results.yaml")
    markdown = compare(sweep)
    assert f"Best trial: #{study.best_trial.number}, value {study.best_value:.6g}" in markdown
    assert "could not be opened" not in markdown


def test_the_sweepers_bookkeeping_overrides_are_not_swept_parameters(tmp_path: Path) -> None:
    jobs = [([f"model.optimizer.lr={lr}", f"++optuna.trial={i}", "++optuna.study_name='s'"], metrics(0.9 + i / 100))
            for i, lr in enumerate((0.001, 0.003))]  # fmt: skip
    markdown = compare(make_sweep(tmp_path, jobs))
    assert "optuna." not in markdown and "| model.optimizer.lr |" in markdown


def test_a_study_in_a_journal_file_is_read_like_a_database(tmp_path: Path) -> None:
    from anomaly_lab.models.pruning import open_storage

    journal = f"journal://{tmp_path / 'study.log'}"
    study = optuna.create_study(storage=open_storage(journal), study_name="j", direction="maximize")
    study.optimize(lambda t: -((t.suggest_float("x", -1, 1) - 0.3) ** 2), n_trials=3)
    jobs = [([f"model.optimizer.lr={lr}"], metrics(0.9)) for lr in (0.001, 0.003)]
    sweep = make_sweep(tmp_path, jobs, hydra={"sweeper": {"storage": journal, "study_name": "j"}})
    assert f"Best trial: #{study.best_trial.number}, value {study.best_value:.6g}" in compare(sweep)
