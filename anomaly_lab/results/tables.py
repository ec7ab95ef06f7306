"""Markdown tables of a run's report, from evaluated numbers."""

from __future__ import annotations


def efficiency_table(rows: dict[str, list[dict]], variable: str, model: str) -> str:
    """Markdown: efficiency per bin for the model and each reference, and the model's fraction of the first."""
    refs = [name for name in rows if name != model]
    head = f"| {variable} bin | n | {model} |" + "".join(f" {r} |" for r in refs)
    rule = "|---|---:|---:|" + "---:|" * len(refs)
    if refs:
        head += f" {model} / {refs[0]} |"
        rule += "---:|"
    lines = [head, rule]
    for i, r in enumerate(rows[model]):
        line = f"| [{r['lo']:g}, {r['hi']:g}) | {r['n']} | {100 * r['efficiency']:.1f} % "
        line += f"[{100 * r['low']:.1f}, {100 * r['high']:.1f}] |"
        line += "".join(f" {100 * rows[ref][i]['efficiency']:.1f} % |" for ref in refs)
        if refs:
            first = rows[refs[0]][i]["efficiency"]
            line += f" {r['efficiency'] / first:.3f} |" if first > 0 else " — |"
        lines.append(line)
    return "\n".join(lines)

