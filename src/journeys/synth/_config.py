"""Settings of the synthetic population: segment shares, pathways and identity noise.

Every rate the generator uses is a field here, so the tests can check the generated tables
against the configured values and an analyst can see what the demo data contains.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from journeys.exceptions import ConfigError

__all__ = ["NoiseConfig", "SegmentConfig", "SynthConfig"]


@dataclass(frozen=True)
class NoiseConfig:
    """Identity noise, as the probability that one agency record shows each kind.

    Name noise is one kind at most per record (so each kind can be measured from the data):
    ``typo``, ``transposition``, ``nickname`` (only where the given name has a known variant)
    and ``surname_change`` (hyphenated or replaced surname) are drawn as one categorical choice.
    The other kinds are drawn independently.
    """

    typo: float = 0.03
    transposition: float = 0.02
    nickname: float = 0.05
    surname_change: float = 0.02
    day_month_swap: float = 0.01
    missing_dob: float = 0.02
    missing_postcode: float = 0.04
    missing_sex: float = 0.02
    moved_postcode: float = 0.06
    formatting: float = 0.05
    duplicate_registration: float = 0.02

    def __post_init__(self) -> None:
        problems = [
            f"NoiseConfig.{f.name} must be a probability in [0, 1]. Got {getattr(self, f.name)!r}."
            for f in fields(self)
            if not 0.0 <= float(getattr(self, f.name)) <= 1.0
        ]
        name_total = self.typo + self.transposition + self.nickname + self.surname_change
        if name_total > 1.0:
            problems.append(
                "NoiseConfig: typo + transposition + nickname + surname_change must not exceed 1. "
                f"Got {name_total:.3f}."
            )
        if problems:
            raise ConfigError("NoiseConfig", problems)


@dataclass(frozen=True)
class SegmentConfig:
    """Who is in the population and how often the harmful patterns are planted.

    Shares are of the whole population; the background is everyone else. ``*_planted`` are
    the shares of a segment that carry the planted pattern.
    """

    frail_elderly: float = 0.06
    prison_leavers: float = 0.02
    mental_health_crisis: float = 0.03
    revolving_door_planted: float = 0.15
    duplicate_housing_planted: float = 0.5
    ping_pong_planted: float = 0.5
    #: Mean number of routine contacts (mostly GP) per background person over the horizon.
    background_contacts: float = 8.0
    #: Probability that a routine contact is at an agency other than the GP.
    background_other_agency: float = 0.08

    def __post_init__(self) -> None:
        problems = [
            f"SegmentConfig.{name} must be in [0, 1]. Got {value!r}."
            for name, value in asdict(self).items()
            if name != "background_contacts" and not 0.0 <= float(value) <= 1.0
        ]
        if self.frail_elderly + self.prison_leavers + self.mental_health_crisis > 1.0:
            problems.append("SegmentConfig: the three segment shares must not exceed 1 in total.")
        if self.background_contacts <= 0:
            problems.append(
                "SegmentConfig.background_contacts must be positive. "
                f"Got {self.background_contacts}."
            )
        if problems:
            raise ConfigError("SegmentConfig", problems)


@dataclass(frozen=True)
class SynthConfig:
    """Everything :func:`generate_population` needs besides the size and the seed."""

    start: dt.date = dt.date(2025, 1, 1)
    days: int = 540
    segments: SegmentConfig = field(default_factory=SegmentConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)

    def __post_init__(self) -> None:
        if self.days < 300:
            raise ConfigError(
                "SynthConfig", [f"SynthConfig.days must be at least 300. Got {self.days}."]
            )

    def to_dict(self) -> dict[str, Any]:
        """A plain dictionary (dates as ISO strings) that :meth:`from_dict` reads back."""
        out = asdict(self)
        out["start"] = self.start.isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SynthConfig:
        """Build from :meth:`to_dict` output; unknown keys are reported, not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError("SynthConfig", [f"unknown key '{k}'" for k in unknown])
        return cls(
            start=dt.date.fromisoformat(str(data.get("start", "2025-01-01"))),
            days=int(data.get("days", 540)),
            segments=SegmentConfig(**data.get("segments", {})),
            noise=NoiseConfig(**data.get("noise", {})),
        )
