"""Checks shared by the schedulers' instance readers (pure, standard library only).

Every refusal is an :class:`InstanceError` whose message is one line naming
the field, so the command line can print it as it is.
"""

from __future__ import annotations

from typing import Any


class InstanceError(ValueError):
    """A malformed instance; the message is one line naming the field."""


def is_int(value: Any) -> bool:
    """An integer, and not a boolean (JSON's ``true`` is an int to Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_id(value: Any) -> bool:
    return isinstance(value, str) or is_int(value)


def require_list(data: dict[str, Any], key: str, limit: int, required: bool) -> list[Any]:
    if key not in data:
        if required:
            raise InstanceError(f"{key}: missing")
        return []
    value = data[key]
    if not isinstance(value, list):
        raise InstanceError(f"{key}: must be a list")
    if len(value) > limit:
        raise InstanceError(f"{key}: at most {limit:,} allowed, got {len(value):,}")
    return value


def require_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InstanceError(f"{where}: must be an object")
    return value
