"""`make bench`: our Lightning training and scoring paths against a plain PyTorch loop, as ratios from one run.

Writes experiments/benchmarks.md. Same network, same data tensor, same batch size and optimiser; each
path gets one warm-up epoch, then the timed ones. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from functools import partial
from pathlib import Path

import lightning as L
import numpy as np
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from torch.utils.data import DataLoader, TensorDataset

from anomaly_lab.benchmarks.tables import write_section
from anomaly_lab.evaluation.scoring import score
from anomaly_lab.models.autoencoder import AutoencoderModule, reconstruction_error

CONFIG_DIR = Path(__file__).resolve().parents[2] / "conf"


def _net(seed: int, model: str = "cnn1d_ae") -> torch.nn.Module:
    """The network of `conf/model/<model>.yaml`, so the benchmark measures what the study trains."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR / "model"), version_base="1.3"):
        cfg = compose(config_name=model)
    torch.manual_seed(seed)
    return instantiate(cfg.net)


def plain_training(x: torch.Tensor, batch_size: int, epochs: int, seed: int) -> float:
    """Samples per second of a hand-written loop: shuffle, forward, MSE, backward, Adam step."""
    net = _net(seed)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, torch.zeros(len(x))), batch_size=batch_size, shuffle=True)
    net.train()
    start = 0.0
    for epoch in range(epochs + 1):
        if epoch == 1:
            start = time.perf_counter()
        for xb, _ in loader:
            opt.zero_grad(set_to_none=True)
            loss = reconstruction_error(xb, net(xb)).mean()
            loss.backward()
            opt.step()
    return epochs * len(x) / (time.perf_counter() - start)


class _EpochTimer(L.Callback):
    def __init__(self) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.starts.append(time.perf_counter())

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.ends.append(time.perf_counter())


def lightning_training(x: torch.Tensor, batch_size: int, epochs: int, seed: int) -> float:
    """Samples per second of our AutoencoderModule under the Lightning Trainer (epoch-level logging on)."""
    module = AutoencoderModule(_net(seed), optimizer=partial(torch.optim.Adam, lr=1e-3))
    loader = DataLoader(TensorDataset(x, torch.zeros(len(x))), batch_size=batch_size, shuffle=True)
    timer = _EpochTimer()
    trainer = L.Trainer(
        max_epochs=epochs + 1, accelerator="cpu", devices=1, logger=False, callbacks=[timer],
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        limit_val_batches=0, num_sanity_val_steps=0,
    )  # fmt: skip
    trainer.fit(module, train_dataloaders=loader)
    return epochs * len(x) / (timer.ends[-1] - timer.starts[1])


def plain_scoring(x: torch.Tensor, batch_size: int, seed: int) -> float:
    net = _net(seed).eval()
    with torch.inference_mode():
        net(x[:batch_size])
        start = time.perf_counter()
        for i in range(0, len(x), batch_size):
            reconstruction_error(x[i : i + batch_size], net(x[i : i + batch_size]))
    return len(x) / (time.perf_counter() - start)


def our_scoring(x: torch.Tensor, batch_size: int, seed: int) -> float:
    """Samples per second of the pipeline's scorer (`anomaly_lab.train.score`) on our module."""
    module = AutoencoderModule(_net(seed), optimizer=partial(torch.optim.Adam))
    loader = DataLoader(TensorDataset(x, torch.zeros(len(x))), batch_size=batch_size)
    score(module, DataLoader(TensorDataset(x[:batch_size], torch.zeros(batch_size))))
    start = time.perf_counter()
    score(module, loader)
    return len(x) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096, help="training windows")
    parser.add_argument("--length", type=int, default=512, help="samples per window (0.25 s at 2048 Hz)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up epoch")
    parser.add_argument("--repeats", type=int, default=2, help="alternating repeats of both paths")
    parser.add_argument("--out", type=Path, default=Path("experiments/benchmarks.md"))
    args = parser.parse_args()

    x = torch.from_numpy(np.random.default_rng(0).standard_normal((args.n, 1, args.length), dtype=np.float32))
    train_plain, train_ours, score_plain, score_ours = [], [], [], []
    for r in range(args.repeats):  # alternate so drifts in machine load hit both paths alike
        train_plain.append(plain_training(x, args.batch_size, args.epochs, r))
        train_ours.append(lightning_training(x, args.batch_size, args.epochs, r))
        score_plain.append(plain_scoring(x, args.batch_size, r))
        score_ours.append(our_scoring(x, args.batch_size, r))
    rows = [
        ("training, Lightning Trainer (windows/s)", np.median(train_ours), np.median(train_plain)),
        ("scoring, pipeline scorer (windows/s)", np.median(score_ours), np.median(score_plain)),
    ]
    cmd = (
        f"python -m anomaly_lab.benchmarks.training --n {args.n} --length {args.length} --batch-size {args.batch_size} "
        f"--epochs {args.epochs} --repeats {args.repeats}"
    )
    lines = [
        "## 1-D CNN autoencoder (gw_cnnae network): Lightning path vs plain PyTorch loop",
        "",
        f"Regenerate: `make bench` (runs `{cmd}`).",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU. "
        f"{args.n} windows x {args.length} samples, batch {args.batch_size}, median of {args.repeats} repeats.",
        "",
        "| path | ours | plain PyTorch | ours / plain |",
        "|---|---:|---:|---:|",
        *[f"| {name} | {o:.1f} | {p:.1f} | {o / p:.3f} |" for name, o, p in rows],
        "",
    ]
    write_section(args.out, "## 1-D CNN autoencoder (gw_cnnae network)", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
