"""`python -m anomaly_lab.search simulate output=<dir> [...]`: write a simulated multi-detector stretch (noise only
and with injections, GWOSC files) and its injection list; `python -m anomaly_lab.search analyse noise=<scan>
injected=<scan> injections=<csv> output=<dir> [...]`: the search's FARs, coincidences, time slides and found
fractions from the scanner's outputs. Bad input ends with one `error: ...` line, exit 1."""

from __future__ import annotations

import sys

from anomaly_lab.errors import run_command
from anomaly_lab.search.analyse import analyse
from anomaly_lab.search.options import ANALYSE_USAGE, SIMULATE_USAGE, parse_analyse, parse_simulate
from anomaly_lab.search.simulate import simulate

USAGE = f"{SIMULATE_USAGE}\n{ANALYSE_USAGE}"


def main(argv: list[str]) -> None:
    """Dispatch to `simulate` or `analyse` and print their summary lines; `-h`/`--help` prints the usage."""
    if not argv or any(a in ("-h", "--help") for a in argv):
        print(f"{__doc__.splitlines()[0]}\n{USAGE}")
        return
    command, args = argv[0], argv[1:]
    if command == "simulate":
        lines = simulate(*parse_simulate(args))
    elif command == "analyse":
        lines = analyse(parse_analyse(args))
    else:
        raise ValueError(f"{command!r}: expected the command simulate or analyse; {USAGE}")
    for line in lines:
        print(line)


def cli(argv: list[str]) -> None:
    """`main` as a command: an expected error is one `error:` line and exit status 1."""
    run_command(main, argv)


if __name__ == "__main__":
    cli(sys.argv[1:])
