"""Mining settings as plain data that round-trip to a TOML file (reviewable, repeatable)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from journeys._settings import SettingsFile
from journeys.exceptions import ConfigError

__all__ = ["ConformanceMethod", "MiningSettings"]

#: How conformance is measured: optimal alignments or token replay.
ConformanceMethod = Literal["alignments", "token_replay"]


@dataclass(frozen=True)
class MiningSettings(SettingsFile):
    """Settings of ``journeys mine`` and :mod:`journeys.mining.batch`.

    Parameters
    ----------
    noise_threshold
        Inductive miner noise threshold in [0, 1).
    inductive_method
        "auto", "log" or "dfg" (see :func:`journeys.mining.discover_inductive_model`).
    activity_coverage, path_coverage
        Detail sliders of the process map, shares in (0, 1].
    top_variants
        Keep only the k most frequent variants in the map (0 keeps all).
    conformance
        "alignments" or "token_replay".
    processes, trace_timeout
        Alignment worker processes and seconds allowed per variant.

    Examples
    --------
    >>> s = MiningSettings(noise_threshold=0.3, path_coverage=0.8)
    >>> MiningSettings.from_dict(s.to_dict()) == s
    True
    """

    noise_threshold: float = 0.2
    inductive_method: Literal["auto", "log", "dfg"] = "auto"
    activity_coverage: float = 1.0
    path_coverage: float = 1.0
    top_variants: int = 0
    conformance: ConformanceMethod = "alignments"
    processes: int = 2
    trace_timeout: float = 60.0

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not 0 <= self.noise_threshold < 1:
            problems.append(f"'noise_threshold' must be in [0, 1). Got {self.noise_threshold}")
        if self.inductive_method not in ("auto", "log", "dfg"):
            problems.append(
                f"'inductive_method' must be 'auto', 'log' or 'dfg'. Got {self.inductive_method!r}"
            )
        for name in ("activity_coverage", "path_coverage"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                problems.append(f"'{name}' must be a share in (0, 1], e.g. 0.8. Got {value}")
        if self.top_variants < 0:
            problems.append(f"'top_variants' must be >= 0 (0 keeps all). Got {self.top_variants}")
        if self.conformance not in ("alignments", "token_replay"):
            problems.append(
                f"'conformance' must be 'alignments' or 'token_replay'. Got {self.conformance!r}"
            )
        if self.processes < 1:
            problems.append(f"'processes' must be >= 1. Got {self.processes}")
        if not self.trace_timeout > 0:
            problems.append(
                f"'trace_timeout' must be a positive number of seconds. Got {self.trace_timeout}"
            )
        if problems:
            raise ConfigError("MiningSettings", problems)
