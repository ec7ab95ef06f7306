"""ADC2021 model sizes for the trigger question: parameters, forward FLOPs per event and the CPU scoring rate at
batch 1 and batch 4096 of each model config, built as the entry point builds it, with untrained weights (speed does
not depend on them) and random events of the ADC2021 input shape.

Only the model group is composed, with the data keys its shapes interpolate given from the command line
(--n-objects, --n-features, --n-reconstructed), so it runs without a data config. Writes its section of
--output (experiments/benchmarks.md by default) and prints it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig
from torch import nn

from anomaly_lab.benchmarks.networks import build_module, forward_flops
from anomaly_lab.benchmarks.tables import write_section
from anomaly_lab.config import register_schemas
from anomaly_lab.models.base import LossModule
from anomaly_lab.train import CONFIG_DIR

HEADING = "## ADC2021 model sizes"
MODELS = ("adc2021_vae", "adc2021_ae", "adc2021_trigger_ae")
BATCHES = (1, 4096)


@dataclass(frozen=True)
class EventShape:
    """One ADC2021 event as the models read it: objects x (features, then the real-object mask)."""

    n_objects: int = 19  # MET, 4 electrons, 4 muons, 10 jets
    n_features: int = 7  # pT, eta, phi, then the 4-wide object-type one-hot
    n_reconstructed: int = 3  # pT, eta, phi: what the models reconstruct

    @property
    def inputs(self) -> tuple[int, int]:
        """(objects, features + mask): the shape of one model input."""
        return (self.n_objects, self.n_features + 1)


def model_config(name: str, shape: EventShape = EventShape()) -> DictConfig:
    """`model=<name>` composed alone, with the `data.*` keys its network's shapes interpolate."""
    register_schemas()
    data = {"n_objects": shape.n_objects, "n_inputs": shape.n_features + 1, "n_reconstructed": shape.n_reconstructed}
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(overrides=[f"+model={name}", *(f"+data.{key}={value}" for key, value in data.items())])


def random_events(n: int, shape: EventShape = EventShape(), seed: int = 0) -> torch.Tensor:
    """`n` events: standard-normal features, about half the objects real (MET always), empty slots all zeros."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, *shape.inputs, generator=g)
    mask = (torch.rand(n, shape.n_objects, generator=g) < 0.5).float()
    mask[:, 0] = 1.0
    x[..., :-1] *= mask.unsqueeze(-1)
    x[..., -1] = mask
    return x


class Encoder(nn.Module):
    """A VAE network's encoder alone (z_mean and z_log_var): what its latent scores (kl, mu2) run, for FLOPs."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net.encode(x)


@torch.inference_mode()
def scoring_rate(module: LossModule, x: torch.Tensor, batch: int, repeats: int) -> float:
    """Median over `repeats` of events per second scoring all of `x` with `predict_step` in batches of `batch`,
    after one untimed batch."""
    module.eval()
    module.predict_step((x[:batch],), 0)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for lo in range(0, len(x), batch):
            module.predict_step((x[lo : lo + batch],), 0)
        rates.append(len(x) / (time.perf_counter() - start))
    return statistics.median(rates)


def measure(
    name: str, shape: EventShape, events: int, repeats: int, batches: Sequence[int] = BATCHES
) -> list[dict[str, Any]]:
    """One model's rows: its configured score and, for a VAE, the encoder-only mu2 score too, each with the parameters
    it runs (a latent score: the encoder's), forward FLOPs per event and events/s per batch."""
    module = build_module(model_config(name, shape), seed=0)
    configured = module.hparams.get("score", module.score_names()[0])
    inputs = {batch: random_events(max(events, batch) // batch * batch, shape, seed=batch) for batch in batches}
    rows = []
    for score in dict.fromkeys([configured, *(s for s in ("mu2",) if s in module.score_names())]):
        with module.scoring(score):  # whole batches only above: every timed call has the same shape
            rates = {batch: scoring_rate(module, x, batch, repeats) for batch, x in inputs.items()}
        latent = score in ("mu2", "kl")
        scored = SimpleNamespace(net=Encoder(module.net).train(module.net.training)) if latent else module
        used = [p for n, p in module.net.named_parameters() if not (latent and n.startswith("decoder"))]
        rows.append({"model": name, "score": score, "parameters": sum(p.numel() for p in used),
                     "flops": forward_flops(scored, shape.inputs), "rates": rates})  # fmt: skip
    return rows


def table(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Markdown lines: one row per model, a rate column per batch size."""
    batches = list(rows[0]["rates"]) if rows else list(BATCHES)
    rate_columns = "".join(f" events/s, batch {b} |" for b in batches)
    lines = [
        "| model | score | parameters | forward FLOPs/event |" + rate_columns,
        "|---|---|---:|---:|" + "---:|" * len(batches),
    ]
    for row in rows:
        rates = " | ".join(f"{row['rates'][b]:,.0f}" for b in batches)
        lines.append(f"| {row['model']} | {row['score']} | {row['parameters']:,} | {row['flops']:,.0f} | {rates} |")
    return lines


def run(
    models: Sequence[str], shape: EventShape, threads: int, events: int, repeats: int, out: Path,
    batches: Sequence[int] = BATCHES,
) -> str:  # fmt: skip
    """Measure each model with `threads` torch threads, write the section to `out` and return it."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    load_before = os.getloadavg()[0]
    try:
        rows = [row for name in models for row in measure(name, shape, events, repeats, batches)]
    finally:
        torch.set_num_threads(previous)
    lines = [
        HEADING,
        "",
        f"Regenerate: `python -m anomaly_lab.benchmarks.model_size --models {','.join(models)} --threads {threads}`.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, shared with other work "
        f"(1-minute load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end); torch "
        f"{torch.__version__} with {threads} thread(s). Events of shape {shape.inputs} (random, untrained weights), "
        "scored by the module's `predict_step` with its configured score (and a VAE's mu2); a VAE's kl and mu2 run "
        f"its encoder alone. Rates are the median of {repeats} passes over at least {events} events. Parameters and "
        "FLOPs (the matrix products, torch's FlopCounterMode) are of what the score runs.",
        "",
        *table(rows),
        "",
    ]
    text = "\n".join(lines)
    write_section(out, HEADING, text)
    return text


def main(argv: list[str] | None = None) -> str:
    """The command line; prints the section it writes."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated model configs (conf/model/)")
    p.add_argument("--n-objects", type=int, default=EventShape.n_objects)
    p.add_argument("--n-features", type=int, default=EventShape.n_features, help="per object, before the mask")
    p.add_argument("--n-reconstructed", type=int, default=EventShape.n_reconstructed)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--events", type=int, default=16384, help="events scored per timed pass, in whole batches")
    p.add_argument("--repeats", type=int, default=3, help="timed passes per batch size; the median is kept")
    p.add_argument("--batches", default=",".join(map(str, BATCHES)), help="comma-separated batch sizes")
    p.add_argument("--output", type=Path, default=Path("experiments/benchmarks.md"))
    args = p.parse_args(argv)
    shape = EventShape(args.n_objects, args.n_features, args.n_reconstructed)
    batches = [int(b) for b in args.batches.split(",")]
    text = run(args.models.split(","), shape, args.threads, args.events, args.repeats, args.output, batches)
    print(text)
    return text


if __name__ == "__main__":
    main()
