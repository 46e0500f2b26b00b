"""Benchmarks: scripts that print one JSON object per figure, each beside a baseline.

Run all with ``python -m benchmarks``, one with ``python -m benchmarks NAME``. Every
module here with a ``main()`` is a benchmark; ``emit`` prints one figure.
"""

from __future__ import annotations

import json
import sys


def emit(name: str, value: float, unit: str, baseline: float | None = None, **extra) -> dict:
    """Print one figure as a JSON line; ratio is value / baseline when there is one."""
    ratio = None if not baseline else round(value / baseline, 4)
    record = {"name": name, "value": round(float(value), 4), "unit": unit,
              "baseline": None if baseline is None else round(float(baseline), 4), "ratio": ratio, **extra}
    print(json.dumps(record), flush=True)
    return record


def log(message: str) -> None:
    """Progress for people, on stderr, so stdout stays JSON lines."""
    print(message, file=sys.stderr, flush=True)
