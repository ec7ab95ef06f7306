"""The set autoencoder's LHC Olympics and ADC2021 studies through the real entry point, one multirun on tiny
generated events: each run records its Chamfer scores and a checkpoint that loads back into the set autoencoder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from anomaly_lab.models.nets.sets import SetAutoencoder
from anomaly_lab.models.set_autoencoder import SetAutoencoderModule
from anomaly_lab.trained import load_trained

# the LHC Olympics entry-point test's sizes: the generators' events cost most of the time
SIZES = ("data.sizes.train=64", "data.sizes.val=32", "data.sizes.val_signal=32", "data.sizes.test_background=64",
         "data.sizes.test_signal=64")  # fmt: skip


@pytest.mark.slow
def test_set_autoencoder_experiments_run_end_to_end_in_one_multirun(run_cli, recorded_numbers, tmp_path: Path) -> None:
    proc = run_cli("-m", "experiment=lhco_setae,adc2021_setae", "debug=smoke", *SIZES)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = {json.loads((p.parent / "metrics.json").read_text())["task"]: p.parent
            for p in tmp_path.glob("logs/**/multiruns/*/*/metrics.json")}  # fmt: skip
    assert set(runs) == {"lhco_setae", "adc2021_setae"}, runs
    # (slots read, decoded particles x features) of each config
    expected = {"lhco_setae": (150, 150 * 3), "adc2021_setae": (None, 19 * 3)}
    for task, run in runs.items():
        m, arrays, _ = recorded_numbers(run)  # metrics.json agrees with the saved scores
        assert math.isfinite(m["auroc"]) and len(set(arrays["score"].round(6))) > 10, task
        trained = load_trained(run / "checkpoints" / "last.ckpt")
        net = trained.model.net
        assert isinstance(trained.model, SetAutoencoderModule) and isinstance(net, SetAutoencoder), task
        assert (net.max_particles, net.decoder[-1].out_features) == expected[task], task
    assert "adc2021_setae, chamfer score" in json.loads((runs["adc2021_setae"] / "metrics.json").read_text())["signals"]
