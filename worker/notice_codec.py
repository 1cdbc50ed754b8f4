"""Dataclasses to JSON values and back, guided by their type hints (the outbox's notice fields)."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from typing import Any, Union


def encode(value: Any) -> Any:
    """A notice (or any part of one) as JSON values: dates as ISO strings, dataclasses as objects."""
    if isinstance(value, str | int | float | bool | None):  # most values: answered first (a burst encodes thousands)
        return value
    names = _field_names(type(value))
    if names is not None:
        return {name: encode(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names, looked up once per class; None for anything else."""
    if cls not in _FIELD_NAMES:
        is_dataclass = dataclasses.is_dataclass(cls)
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) if is_dataclass else None
    return _FIELD_NAMES[cls]


def build(cls: type, data: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    aliases: dict[str, str] = getattr(cls, "aliases", {})
    data = {aliases.get(name, name): item for name, item in data.items()}
    return cls(**{name: _value(hints[name], item) for name, item in data.items() if name in known})


def _value(hint: Any, item: Any) -> Any:
    if item is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _value(options[0], item)
    if origin is list:
        (inner,) = typing.get_args(hint)
        return [_value(inner, element) for element in item]
    if origin is dict:
        _key, inner = typing.get_args(hint)
        return {key: _value(inner, element) for key, element in item.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, item)
    if hint is datetime:
        return datetime.fromisoformat(item)
    if hint is date:
        return date.fromisoformat(item[:10])
    return item
