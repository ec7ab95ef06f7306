"""Search spaces written in Hydra's override grammar, as the stock plugin reads them, turned into Optuna
distributions; and a trial's values turned back into overrides for its job."""

from __future__ import annotations

from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import IntervalSweep, Override, RangeSweep, Transformer
from optuna.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)


def _choices(override: Override) -> list[CategoricalChoiceType]:
    """The values of a choice (or shuffled range): primitives as they are, lists and dicts as override text."""
    out = []
    for value in override.sweep_iterator(transformer=Transformer.encode):
        if not isinstance(value, str | int | float | bool | type(None)):
            raise ValueError(f"{override.input_line}: a choice takes str, int, float, bool or null values")
        out.append(value)
    return out


def _range(override: Override, sweep: RangeSweep) -> BaseDistribution:
    """Hydra's range(start, stop, step): the values the basic sweeper would run, so `stop` is excluded."""
    values = list(override.sweep_iterator(transformer=Transformer.identity))
    if not values:
        raise ValueError(f"{override.input_line}: the range holds no value")
    if all(isinstance(v, int) for v in (*values, sweep.step)):
        return IntDistribution(int(values[0]), int(values[-1]), step=int(sweep.step))
    return FloatDistribution(float(values[0]), float(values[-1]), step=float(sweep.step))


def _interval(sweep: IntervalSweep) -> BaseDistribution:
    """interval(a, b) is a float range (Hydra reads its bounds as floats), int(interval(a, b)) an int one;
    tag(log, ...) samples it log-uniformly."""
    log = "log" in sweep.tags
    if isinstance(sweep.start, int) and isinstance(sweep.end, int):
        return IntDistribution(sweep.start, sweep.end, log=log)
    return FloatDistribution(float(sweep.start), float(sweep.end), log=log)


def distribution(override: Override) -> BaseDistribution | None:
    """The Optuna distribution of a sweep override; None for a plain value (passed unchanged to every trial)."""
    if not override.is_sweep_override():
        return None
    sweep = override.value()
    if override.is_choice_sweep() or (isinstance(sweep, RangeSweep) and sweep.shuffle):
        return CategoricalDistribution(_choices(override))
    if isinstance(sweep, RangeSweep):
        return _range(override, sweep)
    if isinstance(sweep, IntervalSweep):
        return _interval(sweep)
    raise ValueError(f"{override.input_line}: not a search space the Optuna sweeper knows")


def parse_params(arguments: list[str]) -> tuple[dict[str, BaseDistribution], dict[str, str]]:
    """(search space, plain overrides) from override strings; a key given twice takes its last form, so the
    command line wins over `hydra.sweeper.params`."""
    space: dict[str, BaseDistribution] = {}
    fixed: dict[str, str] = {}
    parser = OverridesParser.create()
    for argument in arguments:
        try:
            override = parser.parse_override(argument)
        except Exception as err:  # noqa: BLE001 - Hydra's OverrideParseException; its first line says what is wrong
            raise ValueError(f"search space {argument}: {str(err).splitlines()[0]}") from err
        key = override.get_key_element()
        dist = distribution(override)
        space.pop(key, None)
        fixed.pop(key, None)
        if dist is None:
            fixed[key] = str(override.input_line)
        else:
            space[key] = dist
    return space, fixed


def params_from_config(params: dict[str, Any] | None) -> list[str]:
    """`hydra.sweeper.params` (key: search space string) as override strings."""
    return [f"{key}={value}" for key, value in (params or {}).items()]


def as_override(key: str, value: Any) -> str:
    """One trial value as a command-line override (`lr=0.0012`, `channels=[16,8]`, `flag=true`)."""
    if isinstance(value, bool):
        value = str(value).lower()
    elif value is None:
        value = "null"
    return f"{key}={value}"
