"""The Top Quark Tagging Reference Dataset file format: read in chunks, write the same layout.

A pandas HDFStore under key `table` with columns E_i, PX_i, PY_i, PZ_i (i = 0..199, pT-ordered, zero-padded),
truthE/PX/PY/PZ, ttv and is_signal_new. pandas reads both its "table" and "fixed" layouts, and whatever
compression PyTables wrote, so the reader goes through pandas rather than raw h5py. The reader does not trust
the file's order: it returns each jet's constituents sorted by pT, highest first, padding last. Anything else it
does not expect (an empty or truncated file, a missing or non-numeric column, a non-finite value, a label other
than 0/1) is a one-line TopTagFormatError.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from anomaly_lab.atomic import atomic_path
from anomaly_lab.io import hdf5_open_failure

KEY = "table"
MAX_CONSTITUENTS = 200
MOMENTUM = ("E", "PX", "PY", "PZ")
CONSTITUENT_COLUMNS = [f"{c}_{i}" for i in range(MAX_CONSTITUENTS) for c in MOMENTUM]
TRUTH_COLUMNS = ["truthE", "truthPX", "truthPY", "truthPZ"]
LABEL_COLUMN = "is_signal_new"
# ttv marks the sample a jet belongs to in the reference files; our generator writes the file's own value
TTV = {"train": 0, "test": 1, "val": 2}
READ_COLUMNS = [*CONSTITUENT_COLUMNS, LABEL_COLUMN]


class TopTagFormatError(ValueError):
    """A file that is not in the Top Quark Tagging Reference Dataset format; the message names file and key."""


def _open(path: Path, key: str) -> pd.HDFStore:
    """The store, opened and checked: a pandas DataFrame under `key` with at least one jet and numeric columns."""
    expected = f"expected a Top Quark Tagging HDF5 file with key '{key}'"
    if not path.is_file():
        raise TopTagFormatError(f"{path}: no such file ({expected})")
    if path.stat().st_size == 0:
        raise TopTagFormatError(f"{path}: empty file ({expected})")
    try:
        store = pd.HDFStore(path, mode="r")
    except Exception as err:  # PyTables raises several unrelated types for a non-HDF5 file
        raise TopTagFormatError(f"{path}: {hdf5_open_failure(err, 'a pandas HDF5 store')} ({expected})") from None
    try:
        _validate(store, path, key)
    except BaseException:
        store.close()
        raise
    return store


def _validate(store: pd.HDFStore, path: Path, key: str) -> None:
    if key not in store:
        raise TopTagFormatError(f"{path}: no key '{key}' (found {store.keys()}; expected a pandas HDFStore key)")
    try:
        kind = store.get_storer(key).pandas_type
    except (TypeError, AttributeError):  # a node pandas did not write
        kind = "no pandas object"
    if kind not in ("frame", "frame_table"):
        raise TopTagFormatError(f"{path}: key '{key}' holds '{kind}', expected a pandas DataFrame")
    head = store.select(key, start=0, stop=1)  # column names and types, without reading the jets
    missing = [c for c in READ_COLUMNS if c not in head]
    if missing:
        raise TopTagFormatError(
            f"{path}: key '{key}' lacks {len(missing)} columns, first {missing[:4]} (expected E_i, PX_i, PY_i, PZ_i "
            f"for i < {MAX_CONSTITUENTS} and '{LABEL_COLUMN}')"
        )
    bad = [(c, head[c].dtype) for c in READ_COLUMNS if getattr(head[c].dtype, "kind", "O") not in "biuf"]
    if bad:
        raise TopTagFormatError(f"{path}: key '{key}' column '{bad[0][0]}' holds {bad[0][1]}, expected numbers")
    if _rows(store, key) == 0:
        raise TopTagFormatError(f"{path}: key '{key}' holds no jets (expected at least one row)")


def _rows(store: pd.HDFStore, key: str) -> int:
    """Row count of a pandas "table" or "fixed" frame, read from its metadata."""
    storer = store.get_storer(key)
    return int(storer.nrows if storer.is_table else storer.shape[0])


def _check_values(path: Path, key: str, flat: np.ndarray, labels: np.ndarray, start: int) -> None:
    """Raise on the first row (counted from the file's start) with a non-finite constituent value or a label
    other than 0/1, naming the column."""
    bad = ~np.isfinite(flat)
    bad_label = (labels != 0) & (labels != 1)
    rows = np.flatnonzero(bad.any(axis=1) | bad_label)
    if len(rows):
        row = int(rows[0])
        cols = np.flatnonzero(bad[row])
        name, value = (CONSTITUENT_COLUMNS[cols[0]], flat[row, cols[0]]) if len(cols) else (LABEL_COLUMN, labels[row])
        expected = "a finite value" if len(cols) else "a label 0 or 1"
        raise TopTagFormatError(
            f"{path}: key '{key}' row {start + row} column '{name}' holds {float(value)}, expected {expected}"
        )


def _leading_first(p4: np.ndarray) -> np.ndarray:
    """(n, m, 4) constituents with each jet's real ones sorted by pT = hypot(PX, PY) descending, ties in file order,
    and all-zero padding after them; the array itself when it is already in that order."""
    padding = ~p4.any(axis=2)
    order_key = np.where(padding, np.inf, -np.hypot(p4[..., 1], p4[..., 2]))
    if (order_key[:, 1:] >= order_key[:, :-1]).all():
        return p4
    order = np.argsort(order_key, axis=1, kind="stable")
    return np.take_along_axis(p4, order[..., None], axis=1)


def n_jets(path: str | Path, key: str = KEY) -> int:
    """Number of jets in a file, without reading them; a file with none is a TopTagFormatError."""
    with _open(Path(path), key) as store:
        return _rows(store, key)


def iter_jets(
    path: str | Path, chunk_size: int = 50_000, key: str = KEY, stop: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (constituents (n, 200, 4) as E, PX, PY, PZ in float32, labels (n,) int64) chunk by chunk,
    so that memory holds one chunk whatever the file size.

    Each jet's constituents come sorted by pT = hypot(PX, PY), highest first, zero padding last, whatever the
    file's order. A chunk holding a non-finite constituent value or a label other than 0/1 is never yielded:
    TopTagFormatError names the file, the first bad row (its jet index in the file) and the column."""
    path = Path(path)
    with _open(path, key) as store:
        total = _rows(store, key)
        stop = total if stop is None else min(stop, total)
        for start in range(0, stop, chunk_size):
            frame = store.select(key, start=start, stop=min(start + chunk_size, stop))
            flat = frame[CONSTITUENT_COLUMNS].to_numpy(np.float32)
            labels = frame[LABEL_COLUMN].to_numpy(np.float64)
            _check_values(path, key, flat, labels, start)
            p4 = flat.reshape(len(frame), MAX_CONSTITUENTS, 4)
            yield _leading_first(p4), labels.astype(np.int64)


def jet_frame(constituents: np.ndarray, truth: np.ndarray, labels: np.ndarray, ttv: int) -> pd.DataFrame:
    """One DataFrame in the reference column layout from (n, 200, 4) constituents, (n, 4) truth and labels."""
    n = len(constituents)
    if constituents.shape[1:] != (MAX_CONSTITUENTS, 4):
        raise ValueError(f"constituents: expected shape (n, {MAX_CONSTITUENTS}, 4), got {constituents.shape}")
    data = {c: constituents.reshape(n, len(CONSTITUENT_COLUMNS))[:, i] for i, c in enumerate(CONSTITUENT_COLUMNS)}
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
