"""`make bench` on a GPU, without one: the CUDA path builds every row (bf16, compiled, 32-true, two batches), reports
a failing compile in its row, writes the GPU section with the card and its command, and keeps the CPU section."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import torch._dynamo

from anomaly_lab.benchmarks import paths, training
from anomaly_lab.benchmarks.speed_tables import with_ratios

PLAIN_RATES = {(False, False): 100.0, (True, False): 200.0, (True, True): 400.0}


def fake_plain(module, x, batch_size, *rest) -> float:
    bf16, compile = rest[-2:]
    return PLAIN_RATES[(bf16, compile)] * (2 if batch_size == 1024 else 1)


def fake_lightning(cfg, x, batch, epochs, warmup, seed, device, precision=None, bare=False, compile=False) -> float:
    assert device.type == "cuda" and precision in ("bf16-mixed", "32-true") and not compile
    return 180.0 if not bare else 190.0


def fake_scoring(cfg, x, batch, warmup, seed, device, precision, compile=False) -> float:
    if compile:
        raise RuntimeError("BackendCompilerFailed: no triton\nmore")
    return 160.0


@pytest.fixture
def fake_gpu(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Fake H100")
    monkeypatch.setattr(training, "to_device", lambda x, device: x)
    for name, fake in (("plain_training", fake_plain), ("plain_scoring", fake_plain),
                       ("lightning_training", fake_lightning), ("our_scoring", fake_scoring)):  # fmt: skip
        monkeypatch.setattr(paths, name, fake)
    keys = ("automatic_dynamic_shapes", "recompile_limit")  # the run changes them; restored after the test
    saved = {key: getattr(torch._dynamo.config, key) for key in keys}
    yield
    for key, value in saved.items():
        setattr(torch._dynamo.config, key, value)


def test_cuda_run_writes_the_gpu_section_and_every_row(fake_gpu, tmp_path: Path) -> None:
    out, dump = tmp_path / "benchmarks.md", tmp_path / "bench.json"
    out.write_text("# Benchmarks\n\n## 1-D CNN autoencoder (gw_cnnae network): Lightning path\n\nCPU rows kept\n")
    training.main(["--networks", "gw", "--n", "2048", "--score-n", "4096", "--repeats", "1", "--out", str(out),
                   "--json", str(dump)])  # fmt: skip
    text = out.read_text()
    assert "CPU rows kept" in text and "## Training and scoring on Fake H100" in text
    assert f"torch {torch.__version__}" in text and "bf16-mixed" in text
    assert "`python -m anomaly_lab.benchmarks.training --device cuda --networks gw --n 2048" in text
    rows = json.loads(dump.read_text())["rows"]
    assert json.loads(dump.read_text())["card"] == "Fake H100"
    assert {(r["task"], r["batch"]) for r in rows} == {("training", 256), ("training", 1024), ("scoring", 4096)}
    by_path = {(r["task"], r["batch"], r["path"]): r for r in rows}
    ours = by_path[("training", 256, "ours: Lightning bf16-mixed, study callbacks + CSV logger")]
    assert ours["vs_twin"] == pytest.approx(0.9) and ours["vs_best_plain"] == pytest.approx(0.45)
    assert ours["tflops"] == pytest.approx(180 * 3 * ours["forward_flops"] / 1e12)
    scored = by_path[("scoring", 4096, "ours: score_inputs, bf16-mixed")]
    assert scored["vs_twin"] == pytest.approx(0.8) and scored["vs_best_plain"] == pytest.approx(0.4)
    compiled = by_path[("scoring", 4096, "ours: score_inputs, bf16-mixed, model.compile=true")]
    assert compiled["samples_per_s"] is None and compiled["error"] == "RuntimeError: BackendCompilerFailed: no triton"
    assert compiled["twin"] == "plain bf16 autocast + torch.compile"
    assert "failed: RuntimeError: BackendCompilerFailed: no triton" in text
    # the larger batch: plain fp32 and bf16 against the Trainer in both precisions; compiling there is --all-paths'
    assert sorted(p for task, batch, p in by_path if batch == 1024) == [
        "ours: Lightning 32-true, study callbacks + CSV logger",
        "ours: Lightning bf16-mixed, study callbacks + CSV logger",
        "plain bf16 autocast",
        "plain fp32",
    ]


def test_a_run_cut_short_keeps_the_paths_it_measured(fake_gpu, monkeypatch, tmp_path: Path) -> None:
    def killed(*args, **kwargs) -> float:
        raise SystemExit("killed by `timeout`")  # not an Exception: nothing after this runs

    monkeypatch.setattr(paths, "plain_training", killed)
    out, dump = tmp_path / "benchmarks.md", tmp_path / "bench.json"
    with pytest.raises(SystemExit):
        training.main(["--networks", "gw", "--n", "2048", "--repeats", "2", "--out", str(out), "--json", str(dump)])
    rows = json.loads(dump.read_text())["rows"]
    scored = [r for r in rows if r["task"] == "scoring"]  # scoring runs first: it holds the targets
    assert len(scored) == 6 and all(len(r["rates"]) == 1 for r in scored if not r["error"])
    assert all(r["rates"] == [] for r in rows if r["task"] == "training")
    assert "| gw | scoring | ours: score_inputs, bf16-mixed | 4096 | 160.0 |" in out.read_text()


def test_ratios_pair_each_repeat_with_plain_rows_of_the_same_network_task_and_batch() -> None:
    base = {"network": "gw", "task": "scoring", "forward_flops": 1e6, "error": None}
    rows = [
        {**base, "batch": 8, "path": "plain fp32", "kind": "plain", "rates": [100.0, 200.0, 400.0]},
        {**base, "batch": 8, "path": "plain bf16", "kind": "plain", "rates": [150.0, 100.0, 300.0]},
        {**base, "batch": 16, "path": "plain fp32", "kind": "plain", "rates": [1000.0] * 3},
        {**base, "batch": 8, "path": "ours", "kind": "ours", "twin": "plain fp32", "rates": [50.0, 180.0, 200.0]},
    ]
    for row in rows:
        row["samples_per_s"] = sorted(row["rates"])[1]
    ours = with_ratios(rows)[3]
    # the load drifted between repeats: each repeat's ratio is kept, then their median
    assert ours["vs_twin"] == pytest.approx(0.5)  # median of 0.5, 0.9, 0.5
    assert ours["vs_best_plain"] == pytest.approx(0.5)  # against 150, 200, 400: median of 1/3, 0.9, 0.5
    assert ours["tflops"] == pytest.approx(180e6 / 1e12)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_tiny_run_on_the_gpu(tmp_path: Path) -> None:
    out, dump = tmp_path / "benchmarks.md", tmp_path / "bench.json"
    training.main(["--device", "cuda", "--networks", "gw", "--n", "4096", "--score-n", "8192", "--repeats", "1",
                   "--out", str(out), "--json", str(dump)])  # fmt: skip
    rows = json.loads(dump.read_text())["rows"]
    assert all(r["samples_per_s"] for r in rows if "compile" not in r["path"]), [r["error"] for r in rows]
