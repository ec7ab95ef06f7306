"""What `make bench` times for one network: our paths (the study's Lightning Trainer, the pipeline's scorer) and the
plain loops, each a callable of the repeat's seed giving samples per second; run alternately, failures kept apart."""

from __future__ import annotations

import math
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from omegaconf import DictConfig

from anomaly_lab.benchmarks.loops import plain_scoring, plain_training
from anomaly_lab.benchmarks.networks import build_module
from anomaly_lab.benchmarks.pipeline import lightning_training, our_scoring

PLAIN = {(False, False): "plain fp32", (True, False): "plain bf16 autocast",
         (True, True): "plain bf16 autocast + torch.compile"}  # fmt: skip


@dataclass
class Measure:
    """One timed path: `run(seed)` returns samples/s; `twin` names the plain path of the same precision."""

    task: str  # training | scoring
    path: str
    kind: str  # ours | plain | diagnostic
    batch: int
    run: Callable[[int], float]
    twin: str | None = None
    study: bool = False  # the path the study itself runs (summary table)


@dataclass
class Settings:
    """How long each path runs (epochs and warm-up batches of training, warm-up calls of scoring) and which of the
    optional paths run."""

    epochs: int
    warmup: int
    score_warmup: int
    full: bool  # also the bf16 paths, compiled plain loops at the study's batch and compiled scoring (on a GPU)
    extra: bool = False  # also compiled training at every batch, plain and ours (costs a compile each)


def twin_of(precision: str, compile: bool) -> str:
    """The plain path of the same precision (and compilation, for bf16)."""
    bf16 = precision.startswith("bf16")
    return PLAIN[(bf16, compile and bf16)]


def training_measures(
    cfg: DictConfig, x: torch.Tensor, x_dev: torch.Tensor, batch: int, device: torch.device, s: Settings,
    extra_batch: bool = False,
) -> list[Measure]:  # fmt: skip
    """Plain fp32 (bf16, bf16 + compile when full) against the study's Trainer (32-true too; compiled when extra) and
    a bare Trainer as diagnosis; at an `extra_batch` only the plain loops and the Trainer, compiled only when extra."""
    study = str(cfg.trainer.precision)

    def plain(bf16: bool, compile: bool) -> Callable[[int], float]:
        return lambda seed: plain_training(build_module(cfg, seed), x_dev, batch, s.epochs, s.warmup, bf16, compile)

    def ours(precision: str, bare: bool = False, compile: bool = False) -> Callable[[int], float]:
        return lambda seed: lightning_training(cfg, x, batch, s.epochs, s.warmup, seed, device, precision, bare,
                                               compile)  # fmt: skip

    compiled = [(True, True)] if s.extra or (s.full and not extra_batch) else []
    variants = [(False, False), *([(True, False), *compiled] if s.full else [])]
    out = [Measure("training", PLAIN[v], "plain", batch, plain(*v)) for v in variants]
    out.append(Measure("training", f"ours: Lightning {study}, study callbacks + CSV logger", "ours", batch,
                       ours(study), twin_of(study, False), study=True))  # fmt: skip
    if study != "32-true":
        out.append(Measure("training", "ours: Lightning 32-true, study callbacks + CSV logger", "ours", batch,
                           ours("32-true"), twin_of("32-true", False)))  # fmt: skip
    if s.extra:
        out.append(Measure("training", f"ours: Lightning {study}, model.compile=true", "ours", batch,
                           ours(study, compile=True), twin_of(study, True)))  # fmt: skip
    if extra_batch:
        return out
    out.append(Measure("training", f"diagnostic: Lightning {study}, no callbacks, logger or progress bar",
                       "diagnostic", batch, ours(study, bare=True), twin_of(study, False)))  # fmt: skip
    return out


def scoring_measures(
    cfg: DictConfig, x: torch.Tensor, x_dev: torch.Tensor, batch: int, device: torch.device, s: Settings
) -> list[Measure]:
    """Plain inference with the data on the device against `score_inputs` on host tensors, as the pipeline calls it."""
    study = str(cfg.trainer.precision)

    def plain(bf16: bool, compile: bool) -> Callable[[int], float]:
        return lambda seed: plain_scoring(build_module(cfg, seed), x_dev, batch, s.score_warmup, bf16, compile)

    def ours(precision: str, compile: bool = False) -> Callable[[int], float]:
        return lambda seed: our_scoring(cfg, x, batch, s.score_warmup, seed, device, precision, compile)

    variants = [(False, False), *([(True, False), (True, True)] if s.full else [])]
    out = [Measure("scoring", PLAIN[v], "plain", batch, plain(*v)) for v in variants]
    out.append(Measure("scoring", f"ours: score_inputs, {study}", "ours", batch, ours(study), twin_of(study, False),
                       study=True))  # fmt: skip
    if study != "32-true":
        out.append(Measure("scoring", "ours: score_inputs, 32-true", "ours", batch, ours("32-true"),
                           twin_of("32-true", False)))  # fmt: skip
    if s.full:
        out.append(Measure("scoring", f"ours: score_inputs, {study}, model.compile=true", "ours", batch,
                           ours(study, compile=True), twin_of(study, True)))  # fmt: skip
    return out


def _error_line(err: BaseException) -> str:
    """A one-line account of a failure that fits in a table cell."""
    first = next((line for line in str(err).splitlines() if line.strip()), "")
    return f"{type(err).__name__}: {first}".replace("|", "/")[:200]


Progress = Callable[[list[list[float]], list[str | None]], None]


def run_alternately(
    measures: Sequence[Measure], repeats: int, label: str = "", deadline: float = math.inf,
    after_each: Progress | None = None,
) -> tuple[list[list[float]], list[str | None]]:  # fmt: skip
    """Rates of every measure over `repeats` rounds, the order reversed every other round so that drifts in machine
    load hit all paths alike; a path that fails is reported (its error) and left out of later rounds. Nothing new
    starts after `deadline` (a `time.perf_counter()` value): a path that never ran says so. `after_each(rates,
    errors)` sees the results so far after every path, so that a run cut short still leaves them."""
    rates: list[list[float]] = [[] for _ in measures]
    errors: list[str | None] = [None] * len(measures)
    for r in range(repeats):
        order = range(len(measures)) if r % 2 == 0 else reversed(range(len(measures)))
        for i in order:
            m = measures[i]
            if time.perf_counter() > deadline:
                return rates, [e or (None if rates[j] else "not run: --budget-s spent") for j, e in enumerate(errors)]
            if errors[i] is not None:
                continue
            try:
                rates[i].append(m.run(r))
            except Exception as err:  # noqa: BLE001 - one failing path (a compile error, say) must not end the run
                traceback.print_exc(file=sys.stderr)
                errors[i] = _error_line(err)
            result = f"{rates[i][-1]:.1f}/s" if errors[i] is None else f"failed: {errors[i]}"
            print(f"[bench] {label} {m.task} {m.path}, batch {m.batch}, repeat {r}: {result}", file=sys.stderr,
                  flush=True)  # fmt: skip
            if after_each is not None:
                after_each(rates, errors)
    return rates, errors
