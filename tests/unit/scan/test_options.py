"""The scanner's command line: key=value options, lists and globs of input files, one clear line for a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from anomaly_lab.scan.options import input_files, parse


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    out = [tmp_path / f"H-H1_GWOSC_4KHZ_R1-{1126259446 + 4096 * i}-4096.hdf5" for i in range(3)]
    for p in out:
        p.write_bytes(b"")
    return out


def test_options_parse_with_types_and_defaults(files: list[Path], tmp_path: Path) -> None:
    opts = parse(["ckpt=run/last.ckpt", f"input=[{files[0]},{files[1]}]", f"output={tmp_path / 'out'}", "stride=0.25",
                  "threshold=1.5", "batch_size=512", "compile=true", "precision=null"])  # fmt: skip
    assert opts.ckpt == Path("run/last.ckpt") and opts.input == files[:2] and opts.output == tmp_path / "out"
    assert (opts.stride, opts.threshold, opts.batch_size, opts.compile, opts.precision) == (0.25, 1.5, 512, True, None)
    assert (opts.chunk_s, opts.device, opts.config) == (256.0, "auto", None)


def test_a_glob_pattern_expands_in_sorted_order(files: list[Path]) -> None:
    assert input_files(str(files[0].parent / "H-H1_*.hdf5")) == files


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ckpt=a", "output=o"], "missing input="),
        (["ckpt=a", "input=x", "output=o", "strid=1"], "unknown option 'strid': expected one of ckpt, input"),
        (["ckpt=a", "input=x", "output=o", "stride"], "'stride': expected key=value"),
        (["ckpt=a", "input=x", "output=o", "stride=fast"], "stride=fast: expected a number"),
        (["ckpt=a", "input=x", "output=o", "batch_size=1.5"], "batch_size=1.5: expected a whole number"),
        (["ckpt=a", "input=x", "output=o", "compile=yes"], "compile=yes: expected true or false"),
        (["ckpt=a", "input=x", "output=o", "runtime=tensorrt"], "runtime=tensorrt: expected one of torch, onnx"),
        (["ckpt=a", "input=x", "output=o", "stride=-1"], "stride=-1.0, chunk_s=256.0, chunk_events=10000: expected"),
    ],
)
def test_bad_options_are_one_line_naming_the_option(files: list[Path], args: list[str], message: str) -> None:
    args = [f"input={files[0]}" if a == "input=x" else a for a in args]
    with pytest.raises(ValueError, match="") as err:
        parse(args)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_missing_input_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"input=.*nope.hdf5: no such file"):
        parse(["ckpt=a", f"input={tmp_path / 'nope.hdf5'}", "output=o"])
    with pytest.raises(FileNotFoundError, match="no file matches"):
        parse(["ckpt=a", f"input={tmp_path / '*.hdf5'}", "output=o"])
