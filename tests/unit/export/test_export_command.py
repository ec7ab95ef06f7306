"""`python -m anomaly_lab.export`, run in-process on a run directory written by the test: one file holding the
graph and the metadata a user needs, a verification line, and one-line errors for bad arguments and files."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from anomaly_lab.export.cli import main
from anomaly_lab.export.formats import FORMATS, load_scorer, read_metadata
from tests.unit.export.conftest import build

HLF = ("experiment=lhco_hlf",)


@pytest.fixture
def ckpt(tmp_path: Path) -> Path:
    """A run directory as training leaves it: config, checkpoint (weights and fitted transform), metrics.json."""
    built = build(HLF)
    run = tmp_path / "run"
    (run / ".hydra").mkdir(parents=True)
    OmegaConf.save(built.cfg, run / ".hydra" / "config.yaml")
    state = {"transform": built.dm.transform.state_dict(), "sample_shape": list(built.shape)}
    path = run / "checkpoints" / "last.ckpt"
    path.parent.mkdir()
    torch.save({"state_dict": built.model.state_dict(), type(built.dm).__qualname__: state}, path)
    (run / "metrics.json").write_text(json.dumps({"threshold": 0.75, "policy": "fpr"}))
    return path


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_writes_one_file_with_its_metadata_and_verifies_it(
    fmt: str, ckpt: Path, capsys: pytest.CaptureFixture
) -> None:
    main([f"ckpt={ckpt}", f"format={fmt}"])
    out = capsys.readouterr().out.splitlines()
    path = ckpt.parent.parent / f"model{FORMATS[fmt]}"
    assert out[0].startswith(f"wrote {path} ") and "samples (batch, 5) float32" in out[0] and "0.75 (fpr)" in out[0]
    assert out[1].startswith("verified: max |") and float(out[1].split("= ")[1].split()[0]) <= 1e-5
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([".hydra", "checkpoints", "metrics.json", path.name])
    meta = read_metadata(path)
    assert meta["input"]["shape"] == ["batch", 5] and meta["output"]["shape"] == ["batch"]
    assert (meta["threshold"], meta["policy"], meta["transform"]) == (0.75, "fpr", "FeatureStandardizer")
    assert meta["checkpoint"] == str(ckpt.resolve())
    assert meta["checkpoint_sha256"] == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    raw = build(HLF).samples(16, seed=3)
    np.testing.assert_allclose(load_scorer(path)(raw), build(HLF).pipeline_scores(raw), rtol=1e-5, atol=1e-6)


def test_output_names_the_file(ckpt: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    main([f"ckpt={ckpt}", "format=torchscript", f"output={tmp_path / 'out' / 'scorer.pt'}"])
    assert read_metadata(tmp_path / "out" / "scorer.pt")["threshold"] == 0.75


def one_line_error(capsys: pytest.CaptureFixture, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_bad_arguments_and_files_are_one_line_errors(ckpt: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert "format: expected one of ['onnx', 'torchscript'], got 'tflite'" in one_line_error(
        capsys, f"ckpt={ckpt}", "format=tflite"
    )
    assert "'colour=red'" in one_line_error(capsys, f"ckpt={ckpt}", "colour=red")
    assert "ckpt=<checkpoint file> is required" in one_line_error(capsys, "format=onnx")
    assert "ends in .pt" in one_line_error(capsys, f"ckpt={ckpt}", "format=torchscript", "output=model.onnx")
    assert "no such file" in one_line_error(capsys, f"ckpt={tmp_path / 'missing.ckpt'}")
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint\n" * 3)
    assert "not a readable checkpoint" in one_line_error(capsys, f"ckpt={junk}")
    assert "no run config" in one_line_error(capsys, f"ckpt={ckpt}", f"config={tmp_path / 'none.yaml'}")
    assert not list(ckpt.parent.parent.glob("model*"))


def test_without_the_onnx_packages_onnx_is_one_line_and_torchscript_still_works(
    ckpt: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    for package in ("onnx", "onnxruntime", "onnxscript"):
        monkeypatch.setitem(sys.modules, package, None)  # `import` then fails as if it were not installed
    assert "pip install 'anomaly_lab[export]'" in one_line_error(capsys, f"ckpt={ckpt}", "format=onnx")
    assert not list(ckpt.parent.parent.glob("model*"))
    main([f"ckpt={ckpt}", "format=torchscript"])
    assert (ckpt.parent.parent / "model.pt").is_file()
