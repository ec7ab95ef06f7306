"""The ADC2021 model-size benchmark: a row per model config with its true parameter count, FLOPs as torch counts
them, positive rates at each batch, the table written into its own section of the output file."""

from __future__ import annotations

from pathlib import Path

import torch

from anomaly_lab.benchmarks.model_size import HEADING, EventShape, main, model_config, random_events
from anomaly_lab.benchmarks.networks import build_module


def table_rows(text: str) -> dict[tuple[str, str], list[str]]:
    """The markdown table's cells by (model, score), commas dropped (header and rule left out)."""
    rows = [[c.strip().replace(",", "") for c in line.strip("|").split("|")] for line in text.splitlines()
            if line.startswith("| adc")]  # fmt: skip
    return {(row[0], row[1]): row[2:] for row in rows}


def test_the_table_has_a_row_per_model_with_its_true_size(tmp_path: Path, capsys) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n## Another study\n\nkept\n")
    text = main(["--output", str(out), "--events", "64", "--repeats", "1", "--batches", "1,32"])
    rows = table_rows(text)
    # each model with its configured score, and the VAE with its encoder-only trigger score as well
    assert list(rows) == [("adc2021_vae", "kl"), ("adc2021_vae", "mu2"),
                          ("adc2021_ae", "reconstruction"), ("adc2021_trigger_ae", "reconstruction")]  # fmt: skip
    for (name, score), (parameters, flops, rate_1, rate_32) in rows.items():
        module = build_module(model_config(name), seed=0)
        # the latent scores (a VAE's KL and mu2) run no decoder: neither its parameters nor its FLOPs count
        run = [
            (n, p) for n, p in module.net.named_parameters() if not (score in ("kl", "mu2") and n.startswith("decoder"))
        ]
        assert int(parameters) == sum(p.numel() for _, p in run)
        assert (int(parameters) < sum(p.numel() for p in module.parameters())) == (score in ("kl", "mu2"))
        # dense layers only: 2 FLOPs per weight (one multiply-add), the biases uncounted
        weights = sum(p.numel() for n, p in run if n.endswith("weight"))
        assert int(flops) == 2 * weights
        assert float(rate_1) > 0 and float(rate_32) > 0
    written = out.read_text()
    assert "## Another study\n\nkept" in written and HEADING in written and text.strip() in written
    assert text in capsys.readouterr().out


def test_the_shapes_follow_the_command_line(tmp_path: Path) -> None:
    shape = EventShape(n_objects=5, n_features=4, n_reconstructed=2)
    x = random_events(6, shape)
    assert x.shape == (6, 5, 5) and torch.all(x[..., :-1][x[..., -1] == 0] == 0) and torch.all(x[:, 0, -1] == 1)
    text = main(["--models", "adc2021_ae", "--n-objects", "5", "--n-features", "4", "--n-reconstructed", "2",
                 "--output", str(tmp_path / "b.md"), "--events", "8", "--repeats", "1", "--batches", "4"])  # fmt: skip
    module = build_module(model_config("adc2021_ae", shape), seed=0)
    assert module.net.input_shape == (5, 5) and module.net.output_shape == (5, 2)
    assert int(table_rows(text)[("adc2021_ae", "reconstruction")][0]) == sum(p.numel() for p in module.parameters())
