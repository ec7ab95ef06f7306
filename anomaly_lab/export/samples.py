"""Random valid raw samples for checking an exported graph: what each dataset's arrays could hold (zero-padded,
pT-ordered particle lists; ADC2021 object rows; non-negative, normalised jet images; whitened strain; positive jet
features)."""

from __future__ import annotations

import numpy as np

from anomaly_lab.data.adc2021.objects_format import CLASSES, ROWS
from anomaly_lab.data.adc2021.preprocessing import ObjectScaler
from anomaly_lab.data.base import AnomalyDataModule
from anomaly_lab.data.lhco.preprocessing import FeatureStandardizer
from anomaly_lab.data.transforms import GlobalScale, ParticleScaler, Standardizer


def sample_shape(dm: AnomalyDataModule) -> tuple[int, ...]:
    """The shape of one raw sample of a data config, without building the data (a checkpoint records it too)."""
    # imported here: the data modules pull in their generators (LALSuite, Pythia, FastJet), the transforms do not
    from anomaly_lab.data.adc2021.datamodule import ADC2021DataModule
    from anomaly_lab.data.gw.datamodule import GWDataModule
    from anomaly_lab.data.jets.datamodule import JetImageDataModule
    from anomaly_lab.data.lhco.datamodule import LHCODataModule
    from anomaly_lab.data.lhco.highlevel import HLF_NAMES

    if isinstance(dm, GWDataModule):
        return (dm.layout.n_window,)
    if isinstance(dm, JetImageDataModule):
        return (dm.image.n_pixels, dm.image.n_pixels)
    if isinstance(dm, LHCODataModule):
        return (len(HLF_NAMES),) if dm.representation == "hlf" else (dm.max_particles, len(dm.transform.modes))
    if isinstance(dm, ADC2021DataModule):
        return (19, 4)
    raise ValueError(f"export: no sample shape known for {type(dm).__name__}")


def particle_lists(n: int, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """(n, P, F) lists of 1..P particles in falling pT, zero-padded; the first list is full, the second has one."""
    n_slots, n_features = shape
    counts = rng.integers(1, n_slots + 1, n)
    counts[: min(n, 2)] = [n_slots, 1][: min(n, 2)]
    out = rng.normal(0.0, 1.5, (n, n_slots, n_features))
    out[..., 0] = -np.sort(-rng.exponential(20.0, (n, n_slots)), axis=1) + 1e-3
    out[np.arange(n_slots)[None, :] >= counts[:, None]] = 0.0
    return out.astype(np.float32)


def object_rows(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 19, 4) ADC2021 events: MET, then 0-4 electrons, 0-4 muons and 0-10 jets, each class pT-ordered and
    zero-padded, with its class in the last column; the first event has every slot filled, the second MET only."""
    out = np.zeros((n, 19, 4), np.float32)
    out[:, 0] = np.stack([rng.exponential(30.0, n), np.zeros(n), rng.uniform(-3.1, 3.1, n), np.ones(n)], axis=1)
    for kind in ("electrons", "muons", "jets"):
        rows = ROWS[kind]
        size = rows.stop - rows.start
        counts = rng.integers(0, size + 1, n)
        counts[: min(n, 2)] = [size, 0][: min(n, 2)]
        block = np.stack([-np.sort(-rng.exponential(30.0, (n, size)), axis=1) + 3.0, rng.uniform(-2.5, 2.5, (n, size)),
                          rng.uniform(-3.1, 3.1, (n, size)), np.full((n, size), CLASSES[kind])], axis=-1)  # fmt: skip
        block[np.arange(size)[None, :] >= counts[:, None]] = 0.0
        out[:, rows] = block
    return out


def jet_images(n: int, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """(n, H, W) sparse non-negative images, each summing to one (pT fractions per pixel)."""
    images = rng.exponential(1.0, (n, *shape)) * (rng.random((n, *shape)) < 0.15)
    images[:, shape[0] // 2, shape[1] // 2] += 1.0  # the jet axis always holds some pT
    return (images / images.sum(axis=(1, 2), keepdims=True)).astype(np.float32)


def random_samples(transform: object, shape: tuple[int, ...], n: int, seed: int = 0) -> np.ndarray:
    """`n` random raw samples of `shape` that the data behind `transform` could hold, float32."""
    rng = np.random.default_rng(seed)
    if isinstance(transform, ObjectScaler):
        return object_rows(n, rng)
    if isinstance(transform, ParticleScaler):
        return particle_lists(n, shape, rng)
    if isinstance(transform, GlobalScale):
        return jet_images(n, shape, rng)
    if isinstance(transform, FeatureStandardizer):
        magnitudes = 10.0 ** np.arange(shape[-1])[::-1].clip(max=3)  # mjj ~ 1e3 down to tau21 ~ 1
        return (rng.gamma(4.0, 0.25, (n, *shape)) * magnitudes).astype(np.float32)
    if isinstance(transform, Standardizer):
        return (0.3 + 2.0 * rng.standard_normal((n, *shape))).astype(np.float32)
    raise ValueError(f"export: no random samples known for {type(transform).__name__}")
