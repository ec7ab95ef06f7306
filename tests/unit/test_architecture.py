"""The package's shape: imports only point down the layers, datasets stay apart, modules and functions stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "anomaly_lab"
# bottom to top; a module may import its own layer and those below, never one above
LAYERS = [
    ("anomaly_lab", "anomaly_lab.atomic", "anomaly_lab.io", "anomaly_lab.plotting"),
    ("anomaly_lab.models",),
    ("anomaly_lab.data",),
    ("anomaly_lab.evaluation",),
    ("anomaly_lab.results",),
    ("anomaly_lab.train", "anomaly_lab.trained", "anomaly_lab.scan", "anomaly_lab.export", "anomaly_lab.config",
     "anomaly_lab.checkpoints", "anomaly_lab.errors", "anomaly_lab.__main__",
     "anomaly_lab.benchmarks", "anomaly_lab.search"),
]
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 250, 60


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(name: str) -> int:
    """The layer of a module: its longest matching prefix in LAYERS."""
    best, depth = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and prefix.count(".") > depth:
                best, depth = i, prefix.count(".")
    return best


def imports(path: Path) -> list[str]:
    """Every anomaly_lab module a file imports, at any depth of the file (lazy imports count too)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return [name for name in out if name.split(".")[0] == "anomaly_lab"]


SOURCES = sorted(PACKAGE.rglob("*.py"))
PLUGINS = sorted((PACKAGE.parent / "hydra_plugins").rglob("*.py"))


def test_layer_map_covers_every_module() -> None:
    assert [module_name(p) for p in SOURCES if layer(module_name(p)) < 0] == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_only_point_down(path: Path) -> None:
    own = layer(module_name(path))
    upward = [name for name in imports(path) if layer(name) > own]
    assert upward == [], f"{module_name(path)} (layer {own}) imports higher layers: {upward}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "data").rglob("*.py")), ids=lambda p: module_name(p))
def test_datasets_do_not_import_each_other(path: Path) -> None:
    parts = module_name(path).split(".")
    own = parts[2] if len(parts) > 2 else None
    shared = (own, "base", "cache", "loaders", "transforms", "figures", "pythia")  # the modules every dataset builds on
    others = [n for n in imports(path) if n.startswith("anomaly_lab.data.") and n.split(".")[2] not in shared]
    assert others == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from anomaly_lab.results.summary import table\n")
    assert [n for n in imports(bad) if layer(n) > layer("anomaly_lab.models.base")] != []


@pytest.mark.parametrize("path", SOURCES + PLUGINS, ids=lambda p: module_name(p))
def test_modules_and_functions_stay_small(path: Path) -> None:
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []
