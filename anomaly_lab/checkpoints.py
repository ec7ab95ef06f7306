"""Checkpoints a run starts from: `ckpt_path=last` resolved in the run directory, and a checkpoint checked
against the model before anything loads it, so a mismatch is one clear line and not a size-mismatch dump."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import lightning as L
import torch


def resolve(ckpt_path: str | None, output_dir: str | Path) -> str | None:
    """`last` is the run directory's checkpoints/last.ckpt (rerun a killed run with hydra.run.dir=<its dir>)."""
    if ckpt_path != "last":
        return ckpt_path
    path = Path(output_dir) / "checkpoints" / "last.ckpt"
    if not path.is_file():
        raise ValueError(
            f"ckpt_path=last: no {path}; to resume a killed run, rerun its command with "
            "hydra.run.dir=<its run directory> ckpt_path=last"
        )
    return str(path)


def load(path: str | Path) -> dict[str, Any]:
    """A Lightning checkpoint's contents, read as plain data only (torch's weights_only)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ckpt_path={path}: no such file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    # a file of other bytes fails inside the unpickler as any of these (seen: KeyError, IndexError, UnicodeDecodeError)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, KeyError, IndexError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"ckpt_path={path}: not a readable checkpoint of this version ({first})") from None
    if not isinstance(state, dict) or "state_dict" not in state:
        raise ValueError(f"ckpt_path={path}: not a Lightning checkpoint (no 'state_dict')")
    return state


def check_fits(path: str | Path, state: dict[str, Any], model: L.LightningModule) -> None:
    """Every parameter the model has, with the same shape: else the checkpoint is from another model or data."""
    ours = model.state_dict()
    theirs = state["state_dict"]
    missing = sorted(set(ours) - set(theirs))
    extra = sorted(set(theirs) - set(ours))
    if missing or extra:
        raise ValueError(
            f"ckpt_path={path}: written by another model (parameters missing: {missing[:3]}, unexpected: "
            f"{extra[:3]}); use the model config it was trained with"
        )
    for name, tensor in ours.items():
        if tuple(theirs[name].shape) != tuple(tensor.shape):
            raise ValueError(
                f"ckpt_path={path}: {name} has shape {tuple(theirs[name].shape)} there, {tuple(tensor.shape)} here: "
                "trained with another model size or data shape"
            )


def restore(
    path: str | Path, model: L.LightningModule, dm: L.LightningDataModule, state: dict[str, Any] | None = None
) -> str:
    """Model weights and the datamodule's fitted transform from a checked checkpoint (`state`: its contents,
    when already read)."""
    state = load(path) if state is None else state
    check_fits(path, state, model)
    model.load_state_dict(state["state_dict"])
    if type(dm).__qualname__ in state:
        try:
            dm.load_state_dict(state[type(dm).__qualname__])
        except (KeyError, TypeError) as err:
            raise ValueError(f"ckpt_path={path}: its data transform does not fit this data config ({err})") from None
    return str(path)
