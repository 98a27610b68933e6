"""Numbers from the command line and from stored files: finite and in range, or refused.

Owns the one rule every numeric option and every stored figure follows: a number is finite
(never NaN or an infinity) and inside its documented range, or it is refused with what was
expected. Options use `number(...)` as their argparse type, so a refusal is argparse's usage
error (exit 2) naming the option; stored figures go through `figure(...)`. Pure: no I/O.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from typing import overload


def _range_text(low: float | None, high: float | None, low_open: bool) -> str:
    if low is not None and high is not None:
        return f"from {low:g} to {high:g}"
    if low is not None:
        return f"above {low:g}" if low_open else f"at least {low:g}"
    if high is not None:
        return f"at most {high:g}"
    return "any finite number"


@overload
def number(
    low: float | None = ..., high: float | None = ..., *, integer: type[int], low_open: bool = ...
) -> Callable[[str], int]: ...
@overload
def number(
    low: float | None = ..., high: float | None = ..., *, integer: None = ..., low_open: bool = ...
) -> Callable[[str], float]: ...
def number(
    low: float | None = None,
    high: float | None = None,
    *,
    integer: type[int] | None = None,
    low_open: bool = False,
) -> Callable[[str], int] | Callable[[str], float]:
    """An argparse type: the text as a finite number (a whole one with `integer=int`) in range.

    `low_open` excludes `low` itself (a time-out of 0 s means nothing).
    """
    kind = "a whole number" if integer else "a number"
    expected = f"{kind} {_range_text(low, high, low_open)}"

    def parse(text: str) -> float:
        try:
            value = float(int(text.strip(), 10)) if integer else float(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not {expected}") from None
        if not _inside(value, low, high, low_open):
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not {expected}")
        return value

    def parse_int(text: str) -> int:
        return int(parse(text))

    if integer:
        parse_int.__name__ = "whole number"  # argparse names the type in its messages
        return parse_int
    parse.__name__ = "number"
    return parse


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else f"{text[:40]!r}… ({len(text):,} characters)"


def _inside(value: float, low: float | None, high: float | None, low_open: bool) -> bool:
    if not math.isfinite(value):
        return False
    if low is not None and (value <= low if low_open else value < low):
        return False
    return high is None or value <= high


def figure(value: object, where: str, low: float = 0.0, high: float | None = None) -> float:
    """A stored figure as a float: a finite number (not a bool) in [low, high], or ValueError saying where."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where} is {value!r}, not a number")
    try:
        as_float = float(value)
    except OverflowError:
        as_float = math.inf
    if not _inside(as_float, low, high, False):
        raise ValueError(f"{where} is {value!r}, not a finite number {_range_text(low, high, False)}")
    return as_float


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON (a stored number must be finite)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is too large to be a stored number")
    return value


# The options that make `json.loads` refuse what is not finite (for a bounded reader's own loads).
FINITE_JSON = {"parse_constant": _no_constant, "parse_float": _finite_float}


def loads_finite(text: str | bytes) -> object:
    """`json.loads`, refusing NaN, Infinity and overflowing numbers such as 1e999 (ValueError)."""
    return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
