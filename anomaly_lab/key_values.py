"""`key=value` command-line arguments (Hydra's spelling, lists as `[a,b]`) converted by the type annotations of the
settings they fill; a bad one is a one-line ValueError naming the key and what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _items(value: str) -> list[str]:
    return [v.strip() for v in value.strip().removeprefix("[").removesuffix("]").split(",") if v.strip()]


def _expected(kind: str) -> str:
    """What a value of `kind` looks like, in words."""
    if kind.startswith(("list", "tuple")):
        return f"a list [a,b] of {kind[kind.index('[') + 1 :].split(',')[0].split(']')[0]}"
    if kind == "bool":
        return "true or false"
    return "a number" if "float" in kind else "a whole number" if "int" in kind else kind.replace(" | None", "")


def convert(key: str, value: str, kind: str) -> Any:
    """One value as its field's type (`kind`, the annotation's text); 'null' leaves an optional one unset."""
    if value in ("null", "None", "") and "None" in kind:
        return None
    try:
        if kind.startswith(("list", "tuple")):
            inner = kind[kind.index("[") + 1 :].split(",")[0].split("]")[0]
            items = [convert(key, v, inner) for v in _items(value)]
            return tuple(items) if kind.startswith("tuple") else items
        if kind == "bool":
            if value.lower() not in ("true", "false"):
                raise ValueError
            return value.lower() == "true"
        if "float" in kind:
            return float(value)
        if "int" in kind:
            return int(value)
    except ValueError:
        raise ValueError(f"{key}={value}: expected {_expected(kind)}") from None
    return Path(value) if "Path" in kind else value


def key_values(argv: list[str], allowed: dict[str, str], usage: str) -> dict[str, Any]:
    """`key=value` arguments converted by the kinds in `allowed` (field name -> annotation)."""
    out: dict[str, Any] = {}
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep:
            raise ValueError(f"{arg!r}: expected key=value; {usage}")
        if key not in allowed:
            raise ValueError(f"unknown option '{key}': expected one of {', '.join(allowed)}")
        out[key] = convert(key, value, allowed[key])
    return out
