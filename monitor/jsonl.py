"""Reading JSON-lines input: each line a JSON object with some required keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any


def read_json_lines(
    stream: IO[str], required: tuple[str, ...], strings: tuple[str, ...] = ()
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record or None, error or None) for each non-blank line.

    A bad line (not JSON, not an object, a required key missing, a key in
    ``strings`` that is not a string) yields its error, so callers can report it
    with its line number and go on with the rest.
    """
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, None, f"invalid JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(rec, dict):
            yield n, None, "expected a JSON object"
            continue
        missing = [k for k in required if k not in rec]
        if missing:
            yield n, None, f"missing key(s): {', '.join(missing)}"
            continue
        bad = [k for k in strings if not isinstance(rec.get(k), str)]
        if bad:
            yield n, None, f"key(s) must be strings: {', '.join(bad)}"
            continue
        yield n, rec, None
