"""The project file: every setting of a ``journeys reconstruct`` run, validated at once.

A project file is TOML. Paths in it are relative to the file. Each section's keys are the
fields of the settings class that owns them (:class:`journeys.traces.JourneySettings`,
:class:`journeys.patterns.PatternSettings`, :class:`journeys.measures.MeasureBasket`,
:class:`journeys.linkage.LinkageSettings`), so one file configures the whole run and can be
reviewed by an information governance officer. :func:`starter_project` is the commented
starter that ``journeys init`` writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from journeys.exceptions import ConfigError, JourneysError

__all__ = [
    "ConformanceConfig",
    "LinkageConfig",
    "Period",
    "Project",
    "ReportConfig",
    "load_project",
    "starter_project",
]

LinkageMode = Literal["encoded", "plaintext"]
ConformanceMethod = Literal["token_replay", "alignments"]
_SECTIONS: Final = (
    "project",
    "sources",
    "linkage",
    "journeys",
    "patterns",
    "measures",
    "conformance",
    "periods",
    "report",
)


@dataclass(frozen=True)
class LinkageConfig:
    """How records are linked; the secret comes from ``secret_env`` or ``secret_file`` only."""

    mode: LinkageMode = "encoded"
    secret_env: str = "JOURNEYS_LINKAGE_SECRET"  # noqa: S105 - a variable name
    secret_file: Path | None = None
    schema: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConformanceConfig:
    """The to-be model and how journeys are checked against it."""

    model: Path | None = None
    method: ConformanceMethod = "token_replay"
    #: Per-trace time limit of alignments, in seconds (hits are reported).
    timeout: float = 10.0


@dataclass(frozen=True)
class Period:
    """A named, inclusive date range (a baseline or a review period)."""

    name: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class ReportConfig:
    """The workshop pack: title and disclosure control."""

    title: str = "As-is journeys"
    #: Counts from 1 to ``suppress_max`` are suppressed in anything published.
    suppress_max: int = 7
    #: Other counts are rounded to the nearest multiple of this.
    round_to: int = 5
    #: How many individual journey maps to draw (the most affected people).
    journey_maps: int = 6


@dataclass(frozen=True)
class Project:
    """A validated project file."""

    name: str
    path: Path
    sources: tuple[Path, ...]
    private_dir: Path
    linkage: LinkageConfig = field(default_factory=LinkageConfig)
    journeys: dict[str, Any] = field(default_factory=dict)
    patterns: dict[str, Any] = field(default_factory=dict)
    measures: dict[str, Any] = field(default_factory=dict)
    conformance: ConformanceConfig = field(default_factory=ConformanceConfig)
    periods: tuple[Period, ...] = ()
    report: ReportConfig = field(default_factory=ReportConfig)

    def settings_hash(self, section: str | None = None) -> str:
        """A stable hash of the settings (all, or one ``section``), for the run summary."""
        data = self.as_dict()
        payload = data if section is None else data.get(section)
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        """Plain data (paths as strings) for the run summary and hashing."""
        return {
            "name": self.name,
            "sources": [str(p) for p in self.sources],
            "linkage": {
                "mode": self.linkage.mode,
                "secret_env": self.linkage.secret_env,
                "secret_file": str(self.linkage.secret_file) if self.linkage.secret_file else None,
                "schema": str(self.linkage.schema) if self.linkage.schema else None,
                "settings": self.linkage.settings,
            },
            "journeys": self.journeys,
            "patterns": self.patterns,
            "measures": self.measures,
            "conformance": {
                "model": str(self.conformance.model) if self.conformance.model else None,
                "method": self.conformance.method,
                "timeout": self.conformance.timeout,
            },
            "periods": [[p.name, p.start.isoformat(), p.end.isoformat()] for p in self.periods],
            "report": {
                "title": self.report.title,
                "suppress_max": self.report.suppress_max,
                "round_to": self.report.round_to,
                "journey_maps": self.report.journey_maps,
            },
        }


def _table(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"[{key}] must be a table. Got {type(value).__name__}.")
        return {}
    return value


def _unknown(
    table: dict[str, Any], allowed: tuple[str, ...], where: str, problems: list[str]
) -> None:
    import difflib

    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = (
                f" Did you mean '{close[0]}'?" if close else f" Known keys: {', '.join(allowed)}."
            )
            problems.append(f"{where}: unknown key '{key}'.{hint}")


def _path(
    base: Path, value: Any, where: str, problems: list[str], *, must_exist: bool
) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        problems.append(f"{where} must be a path string. Got {value!r}.")
        return None
    path = (base / value).resolve()
    if must_exist and not path.exists():
        problems.append(f"{where}: '{value}' does not exist (looked for {path}).")
    return path


def _check_settings(section: str, data: dict[str, Any], problems: list[str]) -> None:
    """Build the owning settings object so its own validation runs now, not mid-run."""
    try:
        if section == "journeys":
            from journeys.traces import JourneySettings

            JourneySettings.from_dict(data)
        elif section == "patterns":
            from journeys.patterns import PatternSettings

            PatternSettings.from_dict(data)
        elif section == "measures":
            from journeys.measures import MeasureBasket

            MeasureBasket.from_dict(data)
        elif section == "linkage.settings":
            from journeys.linkage import LinkageSettings

            LinkageSettings.from_dict(data)
    except ConfigError as error:
        problems.extend(f"[{section}] {p}" for p in error.problems)
    except (JourneysError, TypeError, ValueError) as error:
        problems.append(f"[{section}] {error}")


def _periods(data: dict[str, Any], problems: list[str]) -> tuple[Period, ...]:
    out = []
    for name, value in data.items():
        where = f"[periods] {name}"
        if not (isinstance(value, list) and len(value) == 2):
            problems.append(
                f"{where} must be [start, end] dates, e.g. ['2025-01-01', '2025-06-30']."
            )
            continue
        try:
            start, end = (
                v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)) for v in value
            )
        except ValueError:
            problems.append(f"{where} has a date that is not YYYY-MM-DD: {value!r}.")
            continue
        if end < start:
            problems.append(f"{where} ends before it starts: {value!r}.")
            continue
        out.append(Period(name, start, end))
    return tuple(out)


def load_project(path: str | Path) -> Project:
    """Read and validate a project file, reporting every problem at once.

    Raises
    ------
    ConfigError
        Listing each problem with its section, key and a fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "project.toml"
    ...     _ = p.write_text('[project]\\nname = "demo"\\n')
    ...     load_project(p).name
    'demo'
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            str(file), [f"the project file {file} does not exist; `journeys init` writes one"]
        )
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(file), [f"not valid TOML: {error}"]) from None
    base = file.resolve().parent
    problems: list[str] = []
    _unknown(data, _SECTIONS, "the project file", problems)
    meta = _table(data, "project", problems)
    _unknown(meta, ("name", "private_dir"), "[project]", problems)
    sources_raw = data.get("sources", [])
    sources: list[Path] = []
    if not isinstance(sources_raw, list):
        problems.append("[[sources]] must be an array of tables with a 'mapping' key.")
        sources_raw = []
    for i, item in enumerate(sources_raw, start=1):
        if not isinstance(item, dict) or "mapping" not in item:
            problems.append(f"[[sources]] number {i} needs a 'mapping' key naming a mapping file.")
            continue
        _unknown(item, ("mapping",), f"[[sources]] number {i}", problems)
        found = _path(
            base, item["mapping"], f"[[sources]] number {i} mapping", problems, must_exist=True
        )
        if found:
            sources.append(found)
    link = _table(data, "linkage", problems)
    _unknown(
        link,
        ("mode", "secret_env", "secret_file", "schema", "settings", "secret"),
        "[linkage]",
        problems,
    )
    mode = link.get("mode", "encoded")
    if mode not in ("encoded", "plaintext"):
        problems.append(f"[linkage] mode must be 'encoded' or 'plaintext'. Got {mode!r}.")
    if "secret" in link:
        problems.append(
            "[linkage] a secret must not be written in the project file; "
            "use secret_env or secret_file."
        )
    link_settings = link.get("settings", {})
    if isinstance(link_settings, dict):
        _check_settings("linkage.settings", link_settings, problems)
    linkage = LinkageConfig(
        mode=mode if mode in ("encoded", "plaintext") else "encoded",
        secret_env=str(link.get("secret_env", "JOURNEYS_LINKAGE_SECRET")),
        secret_file=_path(
            base, link.get("secret_file"), "[linkage] secret_file", problems, must_exist=False
        ),
        schema=_path(base, link.get("schema"), "[linkage] schema", problems, must_exist=True),
        settings=link_settings if isinstance(link_settings, dict) else {},
    )
    sections = {}
    for name in ("journeys", "patterns", "measures"):
        sections[name] = _table(data, name, problems)
        _check_settings(name, sections[name], problems)
    conf = _table(data, "conformance", problems)
    _unknown(conf, ("model", "method", "timeout"), "[conformance]", problems)
    method = conf.get("method", "token_replay")
    if method not in ("token_replay", "alignments"):
        problems.append(
            f"[conformance] method must be 'token_replay' or 'alignments'. Got {method!r}."
        )
    timeout = conf.get("timeout", 10.0)
    if not isinstance(timeout, int | float) or timeout <= 0:
        problems.append(
            f"[conformance] timeout must be a positive number of seconds. Got {timeout!r}."
        )
        timeout = 10.0
    conformance = ConformanceConfig(
        model=_path(base, conf.get("model"), "[conformance] model", problems, must_exist=True),
        method=method if method in ("token_replay", "alignments") else "token_replay",
        timeout=float(timeout),
    )
    rep = _table(data, "report", problems)
    _unknown(rep, ("title", "suppress_max", "round_to", "journey_maps"), "[report]", problems)
    for key, low in (("suppress_max", 0), ("round_to", 1), ("journey_maps", 0)):
        if key in rep and (not isinstance(rep[key], int) or rep[key] < low):
            problems.append(f"[report] {key} must be an integer >= {low}. Got {rep[key]!r}.")
    # bad values are already problems (raised below); the defaults stand in until then
    numbers = {
        k: v
        for k, v in rep.items()
        if k in ("suppress_max", "round_to", "journey_maps") and isinstance(v, int)
    }
    report = ReportConfig(title=str(rep.get("title", ReportConfig.title)), **numbers)
    periods = _periods(_table(data, "periods", problems), problems)
    private = _path(
        base,
        meta.get("private_dir", ".journeys-private"),
        "[project] private_dir",
        problems,
        must_exist=False,
    )
    if problems:
        raise ConfigError(str(file), problems)
    return Project(
        name=str(meta.get("name", file.stem)),
        path=file.resolve(),
        sources=tuple(sources),
        private_dir=private or base / ".journeys-private",
        linkage=linkage,
        journeys=sections["journeys"],
        patterns=sections["patterns"],
        measures=sections["measures"],
        conformance=conformance,
        periods=periods,
        report=report,
    )


def starter_project(
    name: str = "My service review",
    *,
    sources: list[str] | None = None,
    secret_file: str | None = None,
    model: str | None = None,
    periods: dict[str, tuple[str, str]] | None = None,
) -> str:
    """The commented starter project file that ``journeys init`` writes.

    Examples
    --------
    >>> "[[sources]]" in starter_project("Frailty review")
    True
    """
    mappings = sources or ["adapters/my-agency.yaml"]
    source_lines = "\n".join(f'[[sources]]\nmapping = "{m}"\n' for m in mappings)
    secret = (
        f'secret_file = "{secret_file}"  # the shared secret is read from this file'
        if secret_file
        else 'secret_env = "JOURNEYS_LINKAGE_SECRET"  # the secret is read from this variable...\n'
        '# secret_file = "secret.key"  # ...or from a file; never written here, never defaulted'
    )
    to_be = f'model = "{model}"' if model else '# model = "to_be.bpmn"  # the agreed to-be process'
    period_lines = (
        "\n".join(f'{k} = ["{a}", "{b}"]' for k, (a, b) in periods.items())
        if periods
        else '# baseline = ["2025-01-01", "2025-09-30"]\n# review = ["2025-10-01", "2026-03-31"]'
    )
    return f'''# journeys project file: one run from agency extracts to the workshop pack.
# Paths are relative to this file. Run: journeys reconstruct THIS_FILE --out DIR

[project]
name = "{name}"
# Plaintext identities stay here, never in the output folder (the agency side of the boundary).
private_dir = ".journeys-private"

# One mapping file per agency extract (see the adapters/ folder for examples).
{source_lines}
[linkage]
mode = "encoded"              # encoded (Bloom filters) or plaintext (partners who may share)
{secret}
# schema = "encoding-schema.json"  # field-level Bloom filter settings (journeys.linkage)

[linkage.settings]            # see journeys.linkage.LinkageSettings
# threshold = 0.0

[journeys]                    # see journeys.traces.JourneySettings
episode_gap = "28d"

[patterns]                    # see journeys.patterns.PatternSettings
# [patterns.readmission]
# window = "30d"

[measures]                    # see journeys.measures.MeasureBasket
# period = "month"

[conformance]                 # BPMN 2.0 (bpmn.io, Camunda, Signavio) or PNML
{to_be}
method = "token_replay"       # or "alignments"

[periods]
{period_lines}

[report]
title = "{name}"
suppress_max = 7              # counts 1..7 are suppressed in anything published
round_to = 5                  # other counts are rounded to the nearest 5
journey_maps = 6
'''
