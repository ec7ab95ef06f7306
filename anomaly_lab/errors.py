"""Expected user errors (bad file, key, shape, value, checkpoint or option) end a run with one clear line and
exit status 1; the traceback goes to the run's log file (or the terminal with HYDRA_FULL_ERROR=1)."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable

from hydra.errors import InstantiationException

# what bad input raises here: every reader's format error and every config check is a ValueError
EXPECTED = (ValueError, FileNotFoundError)


def user_error(err: BaseException) -> BaseException | None:
    """The expected error behind `err` (Hydra wraps a constructor's error in InstantiationException), or None."""
    while isinstance(err, InstantiationException) and err.__cause__ is not None:
        err = err.__cause__
    return err if isinstance(err, EXPECTED) else None


def one_line(err: BaseException) -> str:
    """The message without a traceback; FileNotFoundError from the OS gets its file name."""
    text = str(err).strip() or type(err).__name__
    if isinstance(err, FileNotFoundError) and err.filename and str(err.filename) not in text:
        text = f"{err.filename}: {text}"
    return " ".join(text.split())


def report(err: BaseException, original: BaseException) -> None:
    """The one line on stderr; the full traceback in every log file of the run."""
    trace = "".join(traceback.format_exception(original))
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.stream.write(f"error: {one_line(err)}\n{trace}")
            handler.flush()
    print(f"error: {one_line(err)}", file=sys.stderr)


def exit_on_user_error(err: BaseException) -> None:
    """Report an expected error and exit 1; re-raise anything else (a bug deserves its traceback)."""
    expected = user_error(err)
    if expected is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
        raise err
    report(expected, err)
    sys.exit(1)


def run_command(main: Callable[[list[str]], None], argv: list[str]) -> None:
    """`main(argv)` of a command-line tool, an expected error (bad file, option, checkpoint) turned into one `error:`
    line and exit status 1."""
    try:
        main(argv)
    except Exception as err:  # noqa: BLE001 - expected errors become one line, the rest re-raise
        exit_on_user_error(err)
