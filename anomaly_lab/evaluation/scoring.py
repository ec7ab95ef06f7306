"""Anomaly scores of every sample of a split, in order, on the model's device, keeping that device busy.

A split that fits in half the GPU's free memory is copied there once and scored in slices; a larger one goes through
two pinned staging buffers with non-blocking copies. Scores stay on the device until the end (one transfer, no sync
per batch). Autocast follows the trainer's precision, so scores match the ones the threshold was set with; a
compiled model gets equal-shaped batches (the last one padded), so it compiles once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import lightning as L
import numpy as np
import torch

from anomaly_lab.data.base import SCORED_SPLITS, AnomalyDataModule

DEVICE_MEMORY_FRACTION = 0.5  # a split moves to the GPU whole when it takes at most this part of the free memory
AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "16": torch.float16}


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """Autocast to the trainer precision's low-precision type (`bf16-mixed` -> bfloat16); none for 32/64."""
    dtype = AUTOCAST_DTYPES.get(str(precision).split("-")[0])
    return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()


def fits_on_device(device: torch.device, nbytes: int) -> bool:
    """True on the CPU, and on a GPU when `nbytes` takes at most DEVICE_MEMORY_FRACTION of its free memory."""
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes <= DEVICE_MEMORY_FRACTION * free


def _staged_batches(x: torch.Tensor, device: torch.device, batch_size: int) -> Iterator[torch.Tensor]:
    """Batches of a host tensor copied to the GPU through two pinned buffers, each reused once its copy is done."""
    buffers = [torch.empty((batch_size, *x.shape[1:]), dtype=x.dtype).pin_memory() for _ in range(2)]
    done: list[torch.cuda.Event | None] = [None, None]
    for i, start in enumerate(range(0, len(x), batch_size)):
        part = x[start : start + batch_size]
        slot = i % 2
        if done[slot] is not None:
            done[slot].synchronize()  # the copy out of this buffer two batches ago has finished
        buffers[slot][: len(part)].copy_(part)
        batch = buffers[slot][: len(part)].to(device, non_blocking=True)
        done[slot] = torch.cuda.Event()
        done[slot].record()
        yield batch


def _batches(x: torch.Tensor, device: torch.device, batch_size: int) -> Iterator[torch.Tensor]:
    """Batches of `x` on `device`: sliced from one device copy when it fits, else staged through pinned memory."""
    if x.device == device or fits_on_device(device, x.nbytes):
        resident = x.to(device)
        yield from (resident[start : start + batch_size] for start in range(0, len(x), batch_size))
    else:
        yield from _staged_batches(x, device, batch_size)


def _padded(batch: torch.Tensor, batch_size: int) -> torch.Tensor:
    """`batch` with zero samples appended up to `batch_size` (their scores are dropped)."""
    if len(batch) == batch_size:
        return batch
    return torch.cat([batch, batch.new_zeros((batch_size - len(batch), *batch.shape[1:]))])


@torch.inference_mode()
def score_inputs(
    model: L.LightningModule, x: torch.Tensor, batch_size: int = 4096, precision: str = "32-true"
) -> np.ndarray:
    """Scores of every sample of the model inputs `x`, in order, on the model's device (also after DDP training)."""
    model.eval()
    device = model.device
    out = torch.empty(len(x), dtype=torch.float32, device=device)
    equal_shapes = bool(getattr(model, "compiled", False))
    with autocast(device, precision):
        for i, batch in enumerate(_batches(x, device, batch_size)):
            n = len(batch)
            scores = model.predict_step([_padded(batch, batch_size) if equal_shapes else batch], i)
            out[i * batch_size : i * batch_size + n] = scores[:n]
    return out.cpu().numpy().astype(np.float64)


def score_splits(
    model: L.LightningModule, dm: AnomalyDataModule, batch_size: int = 4096, precision: str = "32-true"
) -> dict[str, np.ndarray]:
    """Scores of the validation (background and signal) and test splits."""
    return {split: score_inputs(model, dm.inputs(split), batch_size, precision) for split in SCORED_SPLITS}


def score_variants(
    model: L.LightningModule, dm: AnomalyDataModule, names: list[str], precision: str = "32-true"
) -> dict[str, dict[str, np.ndarray]]:
    """Scores per split of the same trained model under each of its other scores (a VAE's KL or latent-mean norm
    beside its reconstruction error), by score name: compared without retraining."""
    unknown = [n for n in names if n not in model.score_names()]
    if unknown:
        raise ValueError(
            f"evaluation.score_variants: {type(model).__name__} gives {list(model.score_names())}, got {unknown}"
        )
    out = {}
    for name in names:
        with model.scoring(name):
            out[name] = score_splits(model, dm, dm.score_batch_size, precision)
    return out
