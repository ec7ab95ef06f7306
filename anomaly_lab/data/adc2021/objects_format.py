"""The ADC2021 ("LHC physics dataset for unsupervised New Physics detection at 40 MHz") file format: stream
events from it in chunks, and write new files in the same layout.

HDF5 with `Particles` (N, 19, 4) float64, the last axis (pT, eta, phi, class); rows 0 MET (eta = 0), 1-4 electrons,
5-8 muons, 9-18 jets, pT-ordered within each class, empty slots all zeros (class 0). `Particles_Names` = [Pt, Eta,
Phi, Class] and `Particles_Classes` = [MET_class_1, Four_Ele_class_2, Four_Mu_class_3, Ten_Jet_class_4] describe
them; the black boxes add `EvtId`. A file that is not in this layout (wrong shape, names or classes, an object in
a row of another class, a non-finite value) is a one-line ObjectFormatError naming the file, the key, the first
bad event and what was expected; the names are checked when a file has them (files cut from the public ones may
not).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

import h5py
import numpy as np

from anomaly_lab.atomic import atomic_path
from anomaly_lab.io import hdf5_open_failure

KEY = "Particles"
N_OBJECTS = 19
N_COLUMNS = 4  # pT, eta, phi, class
NAMES = ("Pt", "Eta", "Phi", "Class")
CLASS_NAMES = ("MET_class_1", "Four_Ele_class_2", "Four_Mu_class_3", "Ten_Jet_class_4")
ROWS = {"met": slice(0, 1), "electrons": slice(1, 5), "muons": slice(5, 9), "jets": slice(9, 19)}
CLASSES = {"met": 1, "electrons": 2, "muons": 3, "jets": 4}
# the class each row holds when it is filled
ROW_CLASS = np.concatenate([np.full(s.stop - s.start, CLASSES[k]) for k, s in ROWS.items()])
EXPECTED = f"expected an ADC2021 file with '{KEY}' of shape (N, {N_OBJECTS}, {N_COLUMNS}) as (pT, eta, phi, class)"


class ObjectFormatError(ValueError):
    """A file not in the ADC2021 layout; the message names the file, the key and what was expected."""


def _decoded(values: np.ndarray) -> tuple[str, ...]:
    return tuple(v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(values).ravel())


def first_bad_event(objects: np.ndarray) -> tuple[int, int, str] | None:
    """(event, row, what it should hold) of the first event breaking the layout, or None when all are good: every
    value finite, class 0 (an all-zero empty slot) or the row's class, pT >= 0, MET's eta 0."""
    finite = np.isfinite(objects).all(axis=2)
    cls = objects[..., 3]
    filled = cls != 0
    good_class = (cls == ROW_CLASS) | (cls == 0)
    empty_is_zero = filled | ~objects.any(axis=2)
    good = finite & good_class & empty_is_zero & (objects[..., 0] >= 0)
    good[:, 0] &= objects[:, 0, 1] == 0
    bad = np.argwhere(~good)
    if not len(bad):
        return None
    event, row = (int(v) for v in bad[0])
    kind = next(k for k, s in ROWS.items() if s.start <= row < s.stop)
    if not finite[event, row]:
        what = "finite values"
    elif not good_class[event, row]:
        what = f"class {ROW_CLASS[row]} ({kind}) or 0 (empty)"
    elif not empty_is_zero[event, row]:
        what = "all zeros in an empty (class 0) slot"
    elif objects[event, row, 0] < 0:
        what = "pT >= 0"
    else:
        what = "eta = 0 for MET"
    return event, row, what


class _ObjectFile:
    """An open ADC2021 file: validated once, then read by event ranges."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise ObjectFormatError(f"{path}: no such file ({EXPECTED})")
        if path.stat().st_size == 0:
            raise ObjectFormatError(f"{path}: empty file ({EXPECTED})")
        try:
            self.h5 = h5py.File(path, "r")
        except OSError as err:
            raise ObjectFormatError(f"{path}: {hdf5_open_failure(err)} ({EXPECTED})") from None
        try:
            self._validate()
        except BaseException:
            self.h5.close()
            raise

    def _validate(self) -> None:
        path, h5 = self.path, self.h5
        node = h5.get(KEY)
        if not isinstance(node, h5py.Dataset):
            found = sorted(h5.keys())
            raise ObjectFormatError(f"{path}: no dataset '{KEY}' (found {found}; {EXPECTED})")
        if node.ndim != 3 or node.shape[1:] != (N_OBJECTS, N_COLUMNS):
            raise ObjectFormatError(f"{path}: key '{KEY}' has shape {node.shape}, {EXPECTED}")
        if node.dtype.kind not in "biuf":
            raise ObjectFormatError(f"{path}: key '{KEY}' holds {node.dtype}, expected numbers ({EXPECTED})")
        if node.shape[0] == 0:
            raise ObjectFormatError(f"{path}: key '{KEY}' holds no events ({EXPECTED})")
        for key, expected in (("Particles_Names", NAMES), ("Particles_Classes", CLASS_NAMES)):
            if key in h5 and _decoded(h5[key][()]) != expected:
                raise ObjectFormatError(
                    f"{path}: key '{key}' is {list(_decoded(h5[key][()]))}, expected {list(expected)}"
                )
        self.ids = h5.get("EvtId")
        if self.ids is not None and not isinstance(self.ids, h5py.Dataset):
            raise ObjectFormatError(f"{path}: key 'EvtId' is a group, expected a dataset of {node.shape[0]} event ids")
        if self.ids is not None and (self.ids.ndim != 1 or len(self.ids) != node.shape[0]):
            raise ObjectFormatError(f"{path}: key 'EvtId' has shape {self.ids.shape}, expected ({node.shape[0]},)")
        self.values, self.n_events = node, int(node.shape[0])

    def read(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Events [start, stop) as float32 (n, 19, 4) and their EvtId (None without); checked before returning."""
        try:
            objects = np.asarray(self.values[start:stop], dtype=np.float32)
            ids = None if self.ids is None else np.asarray(self.ids[start:stop])
        except OSError as err:
            raise ObjectFormatError(
                f"{self.path}: key '{KEY}' events {start}..{stop - 1} cannot be read ({type(err).__name__}); "
                "expected an undamaged file"
            ) from None
        bad = first_bad_event(objects)
        if bad is not None:
            event, row, what = bad
            got = objects[event, row].tolist()
            raise ObjectFormatError(
                f"{self.path}: key '{KEY}' event {start + event} row {row} is {got}, expected {what}"
            )
        return objects, ids

    def close(self) -> None:
        self.h5.close()


def n_events(path: str | Path) -> int:
    """Number of events in a file, from its metadata; a file not in the layout is an ObjectFormatError."""
    source = _ObjectFile(Path(path))
    try:
        return source.n_events
    finally:
        source.close()


def iter_objects(
    path: str | Path, chunk_size: int = 100_000, start: int = 0, stop: int | None = None, with_ids: bool = False
) -> Iterator[np.ndarray] | Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield (n, 19, 4) float32 chunks of events [start, stop), or (objects, EvtId or None) with `with_ids`, so
    memory holds one chunk (304 bytes an event as float32) whatever the file's size (the background has about 4 M)."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size: expected at least 1 event, got {chunk_size}")
    source = _ObjectFile(Path(path))
    try:
        stop = source.n_events if stop is None else min(stop, source.n_events)
        for lo in range(start, stop, chunk_size):
            objects, ids = source.read(lo, min(lo + chunk_size, stop))
            yield (objects, ids) if with_ids else objects
    finally:
        source.close()


class ObjectWriter:
    """Append events to a new file in the ADC2021 layout; the file appears at `path` only when the writer closes
    without error (written under a temporary name, then renamed), so a crash never leaves a half-written file."""

    def __init__(self, path: str | Path, event_ids: bool = False, chunk_events: int = 4096) -> None:
        self.path, self.event_ids, self.chunk_events = Path(path), event_ids, chunk_events
        self.n_written = 0
        self._stack = ExitStack()

    def __enter__(self) -> ObjectWriter:
        try:
            self._create()
        except BaseException as err:  # exited with the error, so the temporary file is removed, not renamed
            self._stack.__exit__(type(err), err, err.__traceback__)
            raise
        return self

    def _create(self) -> None:
        tmp = self._stack.enter_context(atomic_path(self.path))
        self.h5 = self._stack.enter_context(h5py.File(tmp, "w"))
        shape = (0, N_OBJECTS, N_COLUMNS)
        self.values = self.h5.create_dataset(
            KEY, shape, np.float64, maxshape=(None, N_OBJECTS, N_COLUMNS),
            chunks=(self.chunk_events, N_OBJECTS, N_COLUMNS), compression="gzip", compression_opts=1, shuffle=True,
        )  # fmt: skip
        self.h5.create_dataset("Particles_Names", data=np.array(NAMES, dtype="S"))
        self.h5.create_dataset("Particles_Classes", data=np.array(CLASS_NAMES, dtype="S"))
        if self.event_ids:
            self.ids = self.h5.create_dataset("EvtId", (0,), np.int64, maxshape=(None,), chunks=(self.chunk_events,))

    def append(self, objects: np.ndarray, ids: np.ndarray | None = None) -> None:
        """Append (n, 19, 4) events; a black box (`event_ids=True`) numbers them in order unless `ids` are given."""
        objects = np.asarray(objects, dtype=np.float64)
        if objects.ndim != 3 or objects.shape[1:] != (N_OBJECTS, N_COLUMNS):
            raise ValueError(
                f"{self.path}: events of shape (n, {N_OBJECTS}, {N_COLUMNS}) expected, got {objects.shape}"
            )
        bad = first_bad_event(objects)
        if bad is not None:
            raise ValueError(f"{self.path}: event {bad[0]} of this chunk, row {bad[1]}: expected {bad[2]}")
        n, lo = len(objects), self.n_written
        self.values.resize(lo + n, axis=0)
        self.values[lo:] = objects
        if self.event_ids:
            ids = np.arange(lo, lo + n) if ids is None else np.asarray(ids, np.int64)
            self.ids.resize(lo + n, axis=0)
            self.ids[lo:] = ids
        self.n_written += n

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return self._stack.__exit__(exc_type, exc, tb)


def write_objects(path: str | Path, objects: np.ndarray, event_ids: bool = False, chunk_size: int = 100_000) -> Path:
    """Write (N, 19, 4) events to a new ADC2021-format file (with EvtId for a black box), atomically."""
    with ObjectWriter(path, event_ids=event_ids) as writer:
        for lo in range(0, len(objects), chunk_size):
            writer.append(objects[lo : lo + chunk_size])
    return Path(path)
