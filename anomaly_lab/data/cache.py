"""On-disk cache of built datasets, keyed by config, checked against its input files' content, built once under a lock.

Inputs are fingerprinted with a full streaming sha256: 0.80 s/GB (1.3 GB/s) on a 1 GB file in the page cache on this
2-core machine, against 5 ms for sampled blocks (first/last MiB + 64 x 64 KiB). Full hashing is fast enough and misses
no change, so a staleness check costs one read of the inputs; a cold disk makes that read, not the hash, the cost.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from anomaly_lab.io import Arrays, CorruptFileError, load_arrays, load_attrs, save_arrays

log = logging.getLogger(__name__)
Fingerprints = dict[str, dict[str, Any] | None]
_CONTENT = ("size", "sha256")  # what decides staleness; mtime is kept only to explain a change


def config_key(cfg: Mapping[str, Any]) -> str:
    """Short stable hash of a JSON-able config: equal configs share a cache file, any change makes a new one."""
    blob = json.dumps(cfg, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def file_fingerprint(path: str | Path) -> dict[str, Any]:
    """Size, mtime_ns and sha256 of a file's whole content, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        while n := f.readinto(buf):
            h.update(view[:n])
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": h.hexdigest()}


def cached(
    cache_dir: str | Path,
    prefix: str,
    cfg: Mapping[str, Any],
    build: Callable[[], Arrays],
    inputs: Sequence[str | Path] = (),
) -> Arrays:
    """Arrays for `cfg` from `<cache_dir>/<prefix>-<key>.h5`; built and stored when missing, corrupt or stale.

    Stale means a file in `inputs` (what `build` reads) changed since the entry was built. Concurrent callers of one
    entry build it once: the others wait on `<entry>.lock` and read the result.
    """
    path = Path(cache_dir) / f"{prefix}-{config_key(cfg)}.h5"
    # taken before building, so an input changed mid-build makes the entry stale rather than wrongly fresh
    current = _fingerprints(inputs)
    arrays, _ = _read_fresh(path, current)
    if arrays is not None:
        return arrays
    with _locked(path.with_name(path.name + ".lock")):
        arrays, why = _read_fresh(path, current)  # another process may have built it while we waited
        if arrays is not None:
            return arrays
        if why:
            log.warning("cache %s %s: rebuilding", path, why)
        else:
            log.info("cache %s: building", path)
        arrays = build()
        attrs = {"config": json.dumps(cfg, sort_keys=True, default=str), "inputs": json.dumps(current)}
        save_arrays(path, arrays, attrs)
    return arrays


def _fingerprints(inputs: Sequence[str | Path]) -> Fingerprints:
    """Fingerprint per input path; None for a missing one, so `build` reports it in its own words."""
    out: Fingerprints = {}
    for p in inputs:
        try:
            out[str(p)] = file_fingerprint(p)
        except FileNotFoundError:
            out[str(p)] = None
    return out


def _read_fresh(path: Path, current: Fingerprints) -> tuple[Arrays | None, str]:
    """The entry's arrays if it exists, is intact and was built from `current` inputs; else None and why not."""
    if not path.is_file():
        return None, ""
    try:
        recorded = json.loads(load_attrs(path).get("inputs", "{}"))
        why = _input_change(recorded, current)
        return (None, why) if why else (load_arrays(path), "")
    except (CorruptFileError, json.JSONDecodeError) as e:
        return None, f"is corrupt ({e})"


def _input_change(recorded: Fingerprints, current: Fingerprints) -> str:
    """Which input differs from the one the entry was built from, and how; empty when none does."""
    if recorded.keys() != current.keys():
        return f"inputs changed ({sorted(recorded)} -> {sorted(current)})"
    for p, new in current.items():
        old = recorded[p]
        if new is None or old is None:
            if new != old:
                return f"input {p} {'is missing' if new is None else 'appeared'}"
            continue
        if any(old.get(k) != new[k] for k in _CONTENT):
            diffs = ", ".join(f"{k} {_short(old.get(k))} -> {_short(v)}" for k, v in new.items() if old.get(k) != v)
            return f"input {p} changed ({diffs})"
    return ""


def _short(value: Any) -> Any:
    """A digest cut to 12 characters, enough to tell two apart in a log line."""
    return value[:12] if isinstance(value, str) else value


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `lock_path`, which is removed on release so the cache directory stays clean."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # a holder unlinks the file on release; a waiter that locked the unlinked inode must try again
            if os.path.samestat(os.fstat(fd), os.stat(lock_path)):
                break
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield
    finally:
        lock_path.unlink(missing_ok=True)
        os.close(fd)
