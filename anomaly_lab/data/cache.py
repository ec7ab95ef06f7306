"""On-disk cache of generated datasets, keyed by the configuration that made them, written atomically."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from anomaly_lab.atomic import atomic_path

Arrays = dict[str, np.ndarray]


def config_key(cfg: Mapping[str, Any]) -> str:
    """Short stable hash of a JSON-able config: equal configs share a cache file, any change makes a new one."""
    blob = json.dumps(cfg, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def save_arrays(path: Path, arrays: Arrays, attrs: Mapping[str, Any] | None = None) -> None:
    """Write named arrays to HDF5 through a temporary file, so a crash never leaves a half-written cache."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for name, arr in arrays.items():
            f.create_dataset(name, data=arr)
        for k, v in (attrs or {}).items():
            f.attrs[k] = v


def load_arrays(path: Path) -> Arrays:
    """Every dataset of an HDF5 file written by `save_arrays`, read into memory."""
    with h5py.File(path, "r") as f:
        return {name: f[name][()] for name in f}


def cached(cache_dir: str | Path, prefix: str, cfg: Mapping[str, Any], build: Callable[[], Arrays]) -> Arrays:
    """Arrays for `cfg` from `<cache_dir>/<prefix>-<key>.h5`, built and stored on first use."""
    path = Path(cache_dir) / f"{prefix}-{config_key(cfg)}.h5"
    if path.is_file():
        return load_arrays(path)
    arrays = build()
    save_arrays(path, arrays, {"config": json.dumps(cfg, sort_keys=True, default=str)})
    return arrays
