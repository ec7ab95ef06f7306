"""The Optuna sweeper's reading of its config: each search-space form of the stock plugin's grammar becomes the
right Optuna distribution, a test metric is refused as the objective, and a best trial becomes a config."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from anomaly_lab.benchmarks.model_size import model_config
from hydra_plugins.anomaly_lab_optuna_sweeper._objective import objective_direction
from hydra_plugins.anomaly_lab_optuna_sweeper._results import best_trial_config
from hydra_plugins.anomaly_lab_optuna_sweeper._search_space import as_override, params_from_config, parse_params
from hydra_plugins.anomaly_lab_optuna_sweeper._storage import default_study_name, storage_url

SEARCHES = Path(__file__).resolve().parents[2] / "conf" / "hparams_search"


def search_space(search: str) -> tuple[dict, dict]:
    """(space, fixed) of a search config's `hydra.sweeper.params`, as the sweeper reads them."""
    params = OmegaConf.load(SEARCHES / f"{search}.yaml").hydra.sweeper.params
    return parse_params(params_from_config(OmegaConf.to_container(params)))


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("x=interval(0.1, 1.5)", FloatDistribution(0.1, 1.5)),
        ("x=tag(log, interval(1e-4, 1e-2))", FloatDistribution(1e-4, 1e-2, log=True)),
        ("x=interval(1, 4)", FloatDistribution(1.0, 4.0)),  # Hydra's interval is a float one ...
        ("x=int(interval(1.0, 4.0))", IntDistribution(1, 4)),  # ... unless cast to int
        ("x=tag(log, int(interval(1, 64)))", IntDistribution(1, 64, log=True)),
        ("x=range(2, 10, 2)", IntDistribution(2, 8, step=2)),  # stop excluded, as the basic sweeper runs it
        ("x=range(0.5, 2.0, 0.5)", FloatDistribution(0.5, 1.5, step=0.5)),
        ("x=choice(adam, sgd)", CategoricalDistribution(["adam", "sgd"])),
        ("x=3,5,7", CategoricalDistribution([3, 5, 7])),
        ("x=choice([256,128], [64,32])", CategoricalDistribution(["[256,128]", "[64,32]"])),
        ("x=choice(true, false)", CategoricalDistribution([True, False])),
    ],
)
def test_each_grammar_form_becomes_its_optuna_distribution(override: str, expected: object) -> None:
    space, fixed = parse_params([override])
    assert space == {"x": expected} and fixed == {}


def test_plain_values_pass_to_every_trial_and_the_command_line_wins_over_the_config() -> None:
    config = params_from_config({"model.optimizer.lr": "tag(log, interval(1e-4, 1e-2))", "seed": 3})
    space, fixed = parse_params([*config, "model.optimizer.lr=0.001", "+extra=[1,2]"])
    assert space == {} and fixed == {"seed": "seed=3", "model.optimizer.lr": "model.optimizer.lr=0.001",
                                      "+extra": "+extra=[1,2]"}  # fmt: skip
    space, _ = parse_params(["lr=0.001", "lr=interval(0.1, 1.0)"])
    assert space == {"lr": FloatDistribution(0.1, 1.0)}


def test_trial_values_read_back_as_overrides() -> None:
    assert [as_override("a", v) for v in (0.00123, 7, True, None, "[256,128]")] == [
        "a=0.00123", "a=7", "a=true", "a=null", "a=[256,128]"]  # fmt: skip


@pytest.mark.parametrize("bad", ["x=interval(1, 2", "x=range(5, 1)"])
def test_a_bad_search_space_is_a_one_line_value_error(bad: str) -> None:
    with pytest.raises(ValueError, match="x="):
        parse_params([bad])


@pytest.mark.parametrize("metric", ["auroc", "test_auroc", "tpr_at_fpr", None, "max_sic"])
def test_a_test_metric_is_refused_as_the_objective(metric: str | None) -> None:
    with pytest.raises(ValueError, match="never a test one"):
        objective_direction(metric, "maximize")


def test_validation_metrics_take_their_direction() -> None:
    assert objective_direction("val_auroc") == "maximize" and objective_direction("val_loss") == "minimize"
    assert objective_direction("val_auroc", ["maximize"]) == "maximize"
    with pytest.raises(ValueError, match="hydra.sweeper.direction=minimize"):
        objective_direction("val_loss", "maximize")
    with pytest.raises(ValueError, match="multi-objective"):
        objective_direction("val_auroc", ["maximize", "minimize"])


def test_the_default_study_name_is_the_same_for_one_command_and_differs_for_another() -> None:
    name = default_study_name("gw", ["experiment=gw_cnnae", "debug=smoke"])
    assert name == default_study_name("gw", ["debug=smoke", "experiment=gw_cnnae"]) and name.startswith("gw-")
    assert name != default_study_name("gw", ["experiment=gw_cnnae"])


def test_the_default_storage_is_an_absolute_sqlite_file_per_task() -> None:
    url = storage_url("sqlite:///{log_dir}/{task_name}/optuna.db", "logs", "gw_cnnae_aligo")
    assert url == f"sqlite:///{Path('logs/gw_cnnae_aligo/optuna.db').resolve()}"
    assert storage_url("journal://j.log", "logs", "t") == f"journal://{Path('j.log').resolve()}"
    assert storage_url("postgresql://host/db", "logs", "t") == "postgresql://host/db"
    assert storage_url(None, "logs", "t") is None


def test_the_best_trial_becomes_a_primary_config_with_group_choices_in_its_defaults() -> None:
    body, left = best_trial_config(
        ["experiment=gw_cnnae", "debug=smoke", "+callbacks/x@callbacks.x=y", "model.optimizer.lr=0.002",
         "model.net.encoder_channels=[64,32]", "+tags=[a]", "~logger"],
        groups={"experiment", "debug", "model", "callbacks/x"},
    )  # fmt: skip
    assert body["defaults"] == ["train", {"override /experiment": "gw_cnnae"}, {"override /debug": "smoke"},
                                {"/callbacks/x@callbacks.x": "y"}, "_self_"]  # fmt: skip
    assert body["model"] == {"optimizer": {"lr": 0.002}, "net": {"encoder_channels": [64, 32]}}
    assert body["tags"] == ["a"] and left == ["~logger"]


@pytest.mark.parametrize("search", sorted(p.stem for p in SEARCHES.glob("*_optuna.yaml")))
def test_every_optuna_search_reads_as_optuna_distributions(search: str) -> None:
    space, fixed = search_space(search)
    assert space and fixed == {}


def test_the_adc2021_search_spans_the_vae_on_log_scales_over_keys_its_model_has() -> None:
    space, _ = search_space("adc2021_optuna")
    assert space["model.optimizer.lr"] == FloatDistribution(1e-4, 1e-2, log=True)
    assert space["model.beta"] == FloatDistribution(1e-2, 10.0, log=True)
    assert space["model.net.latent_dim"] == IntDistribution(2, 8)
    assert "[32,16]" in space["model.net.hidden"].choices  # the seed's widths among the choices
    model = model_config("adc2021_vae")
    assert [key for key in space if OmegaConf.select(model, key) is None] == []
