"""The Top Quark Tagging Reference Dataset file format: read in chunks, write the same layout.

A pandas HDFStore under key `table` with columns E_i, PX_i, PY_i, PZ_i (i = 0..199, pT-ordered, zero-padded),
truthE/PX/PY/PZ, ttv and is_signal_new. pandas reads both its "table" and "fixed" layouts, and whatever
compression PyTables wrote, so the reader goes through pandas rather than raw h5py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from anomaly_lab.atomic import atomic_path

KEY = "table"
MAX_CONSTITUENTS = 200
MOMENTUM = ("E", "PX", "PY", "PZ")
CONSTITUENT_COLUMNS = [f"{c}_{i}" for i in range(MAX_CONSTITUENTS) for c in MOMENTUM]
TRUTH_COLUMNS = ["truthE", "truthPX", "truthPY", "truthPZ"]
LABEL_COLUMN = "is_signal_new"
# ttv marks the sample a jet belongs to in the reference files; our generator writes the file's own value
TTV = {"train": 0, "test": 1, "val": 2}


class TopTagFormatError(ValueError):
    """A file that is not in the Top Quark Tagging Reference Dataset format; the message names file and key."""


def _open(path: Path, key: str) -> pd.HDFStore:
    if not path.is_file():
        raise TopTagFormatError(f"{path}: no such file (expected a Top Quark Tagging HDF5 file)")
    try:
        store = pd.HDFStore(path, mode="r")
    except Exception as err:  # PyTables raises several unrelated types for a non-HDF5 file
        raise TopTagFormatError(f"{path}: not a pandas HDF5 store ({type(err).__name__})") from None
    if key not in store:
        found = store.keys()
        store.close()
        raise TopTagFormatError(f"{path}: no key '{key}' (found {found}; expected a pandas HDFStore key)")
    return store


def _rows(store: pd.HDFStore, key: str) -> int:
    """Row count of a pandas "table" or "fixed" frame, read from its metadata."""
    storer = store.get_storer(key)
    return int(storer.nrows if storer.is_table else storer.shape[0])


def n_jets(path: str | Path, key: str = KEY) -> int:
    """Number of jets in a file, without reading them."""
    with _open(Path(path), key) as store:
        return _rows(store, key)


def iter_jets(
    path: str | Path, chunk_size: int = 50_000, key: str = KEY, stop: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (constituents (n, 200, 4) as E, PX, PY, PZ in float32, labels (n,) int64) chunk by chunk,
    so that memory holds one chunk whatever the file size."""
    path = Path(path)
    with _open(path, key) as store:
        total = _rows(store, key)
        stop = total if stop is None else min(stop, total)
        for start in range(0, stop, chunk_size):
            frame = store.select(key, start=start, stop=min(start + chunk_size, stop))
            missing = [c for c in (*CONSTITUENT_COLUMNS[:4], CONSTITUENT_COLUMNS[-1], LABEL_COLUMN) if c not in frame]
            if missing:
                raise TopTagFormatError(
                    f"{path}: key '{key}' lacks columns {missing} (expected E_i, PX_i, PY_i, PZ_i for "
                    f"i < {MAX_CONSTITUENTS} and '{LABEL_COLUMN}')"
                )
            p4 = frame[CONSTITUENT_COLUMNS].to_numpy(np.float32).reshape(len(frame), MAX_CONSTITUENTS, 4)
            yield p4, frame[LABEL_COLUMN].to_numpy(np.int64)


def jet_frame(constituents: np.ndarray, truth: np.ndarray, labels: np.ndarray, ttv: int) -> pd.DataFrame:
    """One DataFrame in the reference column layout from (n, 200, 4) constituents, (n, 4) truth and labels."""
    n = len(constituents)
    if constituents.shape[1:] != (MAX_CONSTITUENTS, 4):
        raise ValueError(f"constituents: expected shape (n, {MAX_CONSTITUENTS}, 4), got {constituents.shape}")
    data = {c: constituents.reshape(n, -1)[:, i] for i, c in enumerate(CONSTITUENT_COLUMNS)}
    data |= {c: truth[:, i] for i, c in enumerate(TRUTH_COLUMNS)}
    data["ttv"] = np.full(n, ttv, np.int8)
    data[LABEL_COLUMN] = labels.astype(np.int8)
    return pd.DataFrame(data)


def write_jets(path: str | Path, frames: Iterator[pd.DataFrame] | list[pd.DataFrame], key: str = KEY) -> Path:
    """Append DataFrames to a new file in the reference layout (pandas "table"), written atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        for frame in frames:
            frame.to_hdf(tmp, key=key, format="table", append=True, complevel=1, complib="zlib", index=False)
    return path
