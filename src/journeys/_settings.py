"""Plain-data settings: durations written as text, and a round trip to TOML files.

Settings classes are frozen dataclasses whose fields are strings, numbers, booleans, tuples
of those, nested settings dataclasses or tuples of them. Durations are written as text such
as ``"30d"`` or ``"1w2d12h"`` so that a settings file reads the way an analyst speaks.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Self, TypeVar, get_args, get_origin, get_type_hints

from journeys.exceptions import ConfigError, SourceError

__all__ = ["SettingsFile", "dump_toml", "parse_duration"]

_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNITS = ("weeks", "days", "hours", "minutes", "seconds")

T = TypeVar("T")


def parse_duration(text: str, *, parameter: str, owner: str) -> timedelta:
    """Read a positive duration written like ``"30d"``, ``"72h"`` or ``"1w2d"``.

    Parameters
    ----------
    text
        Weeks ``w``, days ``d``, hours ``h``, minutes ``m`` and seconds ``s``, in that order.
    parameter, owner
        The setting and the settings class or function, named in the error message.

    Examples
    --------
    >>> parse_duration("1w2d", parameter="window", owner="example")
    datetime.timedelta(days=9)
    """
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise ConfigError(
            owner,
            [
                f"the '{parameter}' parameter must be a positive duration like '30d', '72h' "
                f"or '1w2d'. Got {text!r}"
            ],
        )
    parts = {unit: int(v) for unit, v in zip(_UNITS, match.groups(), strict=True) if v}
    value = timedelta(**parts)
    if value <= timedelta(0):
        raise ConfigError(
            owner, [f"the '{parameter}' parameter must be longer than zero. Got {text!r}"]
        )
    return value


# --- dataclass <-> plain data ----------------------------------------------------------------
def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_to_plain(v) for v in value]
    return value


def _from_plain(  # noqa: PLR0911 - one return per kind of type reads best
    tp: Any, value: Any, where: str, problems: list[str]
) -> Any:
    origin = get_origin(tp)
    if origin in {typing.Union, types.UnionType}:
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _from_plain(args[0], value, where, problems)
    if origin is Literal:
        if value not in get_args(tp):
            choices = ", ".join(repr(a) for a in get_args(tp))
            problems.append(f"'{where}' must be one of {choices}. Got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            problems.append(f"'{where}' must be a list. Got {value!r}")
            return ()
        inner = get_args(tp)[0]
        return tuple(_from_plain(inner, v, f"{where}[{i}]", problems) for i, v in enumerate(value))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.append(f"'{where}' must be a table. Got {value!r}")
            return None
        return _build(tp, value, where, problems)
    expected = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}.get(tp)
    if expected is not None and (
        not isinstance(value, expected) or (tp is not bool and isinstance(value, bool))
    ):
        problems.append(f"'{where}' must be of type {tp.__name__}. Got {value!r}")
    return float(value) if tp is float and isinstance(value, int) else value


def _build(cls: type[T], data: dict[str, Any], where: str, problems: list[str]) -> T | None:
    before = len(problems)
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]

    def path(key: str) -> str:
        return f"{where}.{key}" if where else key

    problems.extend(
        f"'{path(key)}' is not a setting of {cls.__name__}; "
        f"known settings: {', '.join(sorted(names))}"
        for key in sorted(set(data) - names)
    )
    kwargs = {
        key: _from_plain(hints[key], value, path(key), problems)
        for key, value in data.items()
        if key in names
    }
    if len(problems) > before:
        return None
    try:
        return cls(**kwargs)
    except ConfigError as error:
        problems.extend(f"{where or cls.__name__}: {p}" for p in error.problems)
        return None
    except TypeError as error:  # a required setting is missing
        problems.append(f"{where or cls.__name__}: {error}")
        return None


class SettingsFile:
    """Mixin for frozen settings dataclasses: ``to_dict``/``from_dict`` and TOML files.

    Examples
    --------
    >>> from journeys.patterns import ReadmissionSettings
    >>> s = ReadmissionSettings(window="14d")
    >>> ReadmissionSettings.from_dict(s.to_dict()) == s
    True
    """

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data (tuples become lists)."""
        plain: dict[str, Any] = _to_plain(self)
        return plain

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | None = None) -> Self:
        """Build and validate settings from plain data; report every problem at once."""
        problems: list[str] = []
        built = _build(cls, data, "", problems)
        if problems or built is None:
            raise ConfigError(source or cls.__name__, problems)
        return built

    def to_toml(self, path: str | Path) -> Path:
        """Write the settings to a TOML file and return its path."""
        target = Path(path)
        target.write_text(dump_toml(self.to_dict()), encoding="utf-8")
        return target

    @classmethod
    def from_toml(cls, path: str | Path) -> Self:
        """Read settings written by :meth:`to_toml` (or by hand)."""
        source = Path(path)
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except OSError as error:
            raise SourceError(
                f"Cannot read the settings file {source}: {error}. Check the path."
            ) from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(str(source), [f"not valid TOML: {error}"]) from error
        return cls.from_dict(data, source=str(source))


# --- a small TOML writer for plain settings --------------------------------------------------
def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    raise ConfigError("TOML writer", [f"cannot write a value of type {type(value).__name__}"])


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _write_table(data: dict[str, Any], prefix: str, lines: list[str]) -> None:
    for key, value in data.items():
        if value is None or isinstance(value, dict) or _is_table_list(value):
            continue
        lines.append(f"{key} = {_scalar(value)}")
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            lines.extend(["", f"[{name}]"])
            _write_table(value, name, lines)
        elif _is_table_list(value):
            for item in value:
                lines.extend(["", f"[[{name}]]"])
                _write_table(item, name, lines)


def dump_toml(data: dict[str, Any]) -> str:
    """Write plain settings (no ``None``: it is left out) as TOML text.

    Examples
    --------
    >>> print(dump_toml({"window": "30d", "activities": ["Discharge"]}))
    window = "30d"
    activities = ["Discharge"]
    <BLANKLINE>
    """
    lines: list[str] = []
    _write_table(data, "", lines)
    return "\n".join(lines).lstrip("\n") + "\n"
