"""Event generation: each segment's pathway, vectorised over people (no per-event loop).

Times are integer microseconds since the Unix epoch, UTC. Every pathway is written so that
ordinary behaviour cannot look like a planted pattern: routine contacts are at least
``MIN_SLOT_GAP`` apart, and the segments' own steps are spaced so that an agency is never
left and re-entered within the ping-pong window except where ping-pong is planted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from journeys.synth._agencies import HOUSING_CHARITIES, activity_index
from journeys.synth._config import SegmentConfig

__all__ = ["MIN_SLOT_GAP", "Segment", "generate_events"]

I64 = npt.NDArray[np.int64]
MINUTE: Final = 60_000_000
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR
#: Routine contacts of one person are at least this far apart.
MIN_SLOT_GAP: Final = 14 * DAY
_MAX_SLOTS: Final = 30
#: Room left at the end of the horizon for the longest segment story.
_STORY_ROOM: Final = 230 * DAY


class Segment:
    """Codes of the population segments."""

    BACKGROUND: Final = 0
    FRAIL_ELDERLY: Final = 1
    PRISON_LEAVER: Final = 2
    MENTAL_HEALTH_CRISIS: Final = 3
    NAMES: Final = ("background", "frail_elderly", "prison_leaver", "mental_health_crisis")


class Pattern:
    """Codes of planted patterns carried by evidence events (0 = not evidence)."""

    NONE: Final = 0
    REVOLVING_DOOR: Final = 1
    DUPLICATE_HOUSING: Final = 2
    PING_PONG: Final = 3
    NAMES: Final = ("", "revolving_door", "duplicate_housing", "ping_pong")


OUTCOMES: Final = ("admitted", "discharged home", "discharged to care home", "referred on")


@dataclass
class EventArrays:
    """Columns of generated events, appended chunk by chunk."""

    person: list[I64] = field(default_factory=list)
    activity: list[I64] = field(default_factory=list)
    start: list[I64] = field(default_factory=list)
    end: list[I64] = field(default_factory=list)
    pattern: list[I64] = field(default_factory=list)
    outcome: list[I64] = field(default_factory=list)

    def add(
        self,
        person: I64,
        agency: str,
        activity: str,
        start: I64,
        *,
        end: I64 | None = None,
        pattern: int | I64 = Pattern.NONE,
        outcome: int | I64 = -1,
    ) -> None:
        n = len(person)
        self.person.append(person.astype(np.int64, copy=False))
        self.activity.append(np.full(n, activity_index(agency, activity), dtype=np.int64))
        self.start.append(start.astype(np.int64, copy=False))
        self.end.append(np.full(n, -1, np.int64) if end is None else end.astype(np.int64))
        self.pattern.append(np.broadcast_to(np.asarray(pattern, np.int64), (n,)).copy())
        self.outcome.append(np.broadcast_to(np.asarray(outcome, np.int64), (n,)).copy())

    def concat(self) -> dict[str, I64]:
        return {
            name: np.concatenate(getattr(self, name))
            if getattr(self, name)
            else np.empty(0, np.int64)
            for name in ("person", "activity", "start", "end", "pattern", "outcome")
        }


def _u(rng: np.random.Generator, low: float, high: float, n: int, unit: int) -> I64:
    """Uniform durations in [low, high) of ``unit``, as integer microseconds."""
    return (rng.uniform(low, high, n) * unit).astype(np.int64)


def _admission_cycle(
    ev: EventArrays,
    rng: np.random.Generator,
    person: I64,
    t: I64,
    los_days: tuple[float, float],
    *,
    pattern: int,
) -> I64:
    """Ambulance call to discharge; returns the discharge times."""
    n = len(person)
    ev.add(person, "ambulance", "Ambulance call", t)
    convey = t + _u(rng, 20, 60, n, MINUTE)
    ev.add(person, "ambulance", "Conveyance to A&E", convey)
    arrive = convey + _u(rng, 10, 30, n, MINUTE)
    ev.add(person, "ae", "A&E arrival", arrive)
    triage = arrive + _u(rng, 5, 40, n, MINUTE)
    ev.add(person, "ae", "A&E triage", triage)
    dta = triage + _u(rng, 1, 8, n, HOUR)
    ev.add(person, "ae", "Decision to admit", dta, outcome=0)
    admit = dta + _u(rng, 1, 12, n, HOUR)
    discharge = admit + _u(rng, los_days[0], los_days[1], n, DAY)
    ev.add(person, "acute", "Emergency admission", admit, end=discharge, pattern=pattern)
    dest = np.where(rng.random(n) < 0.8, 1, 2)
    ev.add(person, "acute", "Discharge", discharge, outcome=dest)
    return discharge


def _social_care_after(ev: EventArrays, rng: np.random.Generator, person: I64, t: I64) -> I64:
    """Referral, assessment and (for most) a care package after discharge; returns the end."""
    n = len(person)
    referral = t + _u(rng, 1, 3, n, DAY)
    ev.add(person, "asc", "Social care referral", referral)
    assess = referral + _u(rng, 2, 7, n, DAY)
    ev.add(person, "asc", "Care assessment", assess)
    package = rng.random(n) < 0.6
    start = assess + _u(rng, 3, 10, n, DAY)
    ev.add(person[package], "asc", "Care package start", start[package])
    return np.where(package, start, assess)


def _frail_elderly(
    ev: EventArrays,
    rng: np.random.Generator,
    person: I64,
    anchor: I64,
    planted: npt.NDArray[np.bool_],
) -> I64:
    """Falls, conveyance, A&E, admission and discharge; revolving doors where planted."""
    story_end = np.array(anchor, copy=True)
    # ordinary frail elderly people: one or two admissions at least 60 days apart
    ordinary, idx = person[~planted], np.flatnonzero(~planted)
    t = anchor[idx]
    discharge = _admission_cycle(ev, rng, ordinary, t, (2, 15), pattern=Pattern.NONE)
    after = _social_care_after(ev, rng, ordinary, discharge)
    second = rng.random(len(ordinary)) < 0.4
    t2 = np.maximum(after, discharge) + _u(rng, 60, 100, len(ordinary), DAY)
    discharge2 = _admission_cycle(
        ev, rng, ordinary[second], t2[second], (2, 15), pattern=Pattern.NONE
    )
    story_end[idx] = np.maximum(after, discharge)
    story_end[idx[second]] = discharge2
    # planted revolving doors: 5 to 7 admissions, each within days of the last discharge
    door, idx = person[planted], np.flatnonzero(planted)
    cycles = rng.integers(5, 8, len(door))
    t = anchor[idx]
    last_discharge = np.array(t, copy=True)
    for c in range(int(cycles.max(initial=0))):
        active = cycles > c
        discharge = _admission_cycle(
            ev, rng, door[active], t[active], (1, 3), pattern=Pattern.REVOLVING_DOOR
        )
        last_discharge[active] = discharge
        t[active] = discharge + _u(rng, 1, 4, int(active.sum()), DAY)
    after = _social_care_after(ev, rng, door, last_discharge)
    story_end[idx] = after
    return story_end


def _prison_leavers(
    ev: EventArrays,
    rng: np.random.Generator,
    person: I64,
    anchor: I64,
    planted: npt.NDArray[np.bool_],
) -> I64:
    """Release, probation supervision and housing referrals (several charities if planted)."""
    n = len(person)
    ev.add(person, "probation", "Release from custody", anchor)
    induction = anchor + _u(rng, 1, 3, n, DAY)
    ev.add(person, "probation", "Probation induction", induction)
    sessions = rng.integers(4, 9, n)
    last = np.array(induction, copy=True)
    for j in range(int(sessions.max(initial=0))):
        active = sessions > j
        when = induction[active] + (j + 1) * 10 * DAY + _u(rng, 0, 3, int(active.sum()), DAY)
        ev.add(person[active], "probation", "Probation supervision", when)
        last[active] = when
    # housing: one charity, or 2-4 charities at once (planted duplicate attempts)
    n_charities = np.where(planted, rng.integers(2, len(HOUSING_CHARITIES) + 1, n), 1)
    order = np.argsort(rng.random((n, len(HOUSING_CHARITIES))), axis=1)
    first_referral = induction + _u(rng, 1, 2, n, DAY)
    last_referral = np.array(first_referral, copy=True)
    for j in range(len(HOUSING_CHARITIES)):
        active = n_charities > j
        referral = first_referral + j * _u(rng, 0.2, 0.8, n, DAY)
        last_referral = np.where(active, referral, last_referral)
        for k, charity in enumerate(HOUSING_CHARITIES):
            sel = active & (order[:, j] == k)
            if not sel.any():
                continue
            closed = referral[sel] + _u(rng, 30, 120, int(sel.sum()), DAY)
            ev.add(
                person[sel],
                charity,
                "Housing referral",
                referral[sel],
                end=closed,
                pattern=np.where(planted[sel], Pattern.DUPLICATE_HOUSING, Pattern.NONE),
            )
    for j in range(len(HOUSING_CHARITIES)):
        active = n_charities > j
        assess = last_referral + (j + 1) * 4 * DAY + _u(rng, 0, 1, n, DAY)
        for k, charity in enumerate(HOUSING_CHARITIES):
            sel = active & (order[:, j] == k)
            if sel.any():
                ev.add(person[sel], charity, "Housing assessment", assess[sel])
    end_housing = last_referral + (n_charities + 1) * 4 * DAY
    return np.asarray(np.maximum(last, end_housing), dtype=np.int64)


def _mental_health_crisis(
    ev: EventArrays,
    rng: np.random.Generator,
    person: I64,
    anchor: I64,
    planted: npt.NDArray[np.bool_],
) -> I64:
    """Police contact, A&E, social care; bouncing between police and A&E where planted."""
    n = len(person)
    bounces = np.where(planted, rng.integers(2, 4, n), 1)
    t = np.array(anchor, copy=True)
    discharge = np.array(anchor, copy=True)
    for b in range(int(bounces.max(initial=0))):
        active = bounces > b
        m = int(active.sum())
        who, tag = person[active], np.where(planted[active], Pattern.PING_PONG, Pattern.NONE)
        ev.add(who, "police", "Police contact", t[active], pattern=tag)
        detained = t[active] + _u(rng, 10, 50, m, MINUTE)
        first = b == 0
        if first:
            ev.add(who, "police", "Section 136 detention", detained, pattern=tag)
        arrive = detained + _u(rng, 1, 2, m, HOUR)
        ev.add(who, "ae", "A&E arrival", arrive, pattern=tag)
        assess = arrive + _u(rng, 1, 3, m, HOUR)
        ev.add(who, "ae", "Mental health assessment", assess, pattern=tag)
        leave = assess + _u(rng, 0.5, 2, m, HOUR)
        ev.add(who, "ae", "A&E discharge", leave, pattern=tag, outcome=3)
        discharge[active] = leave
        t[active] = leave + _u(rng, 4, 20, m, HOUR)
    referral = discharge + _u(rng, 3, 10, n, DAY)
    ev.add(person, "asc", "Mental health social work referral", referral)
    return referral


def _routine_contacts(
    ev: EventArrays,
    rng: np.random.Generator,
    person: I64,
    background: npt.NDArray[np.bool_],
    *,
    blocked: tuple[I64, I64],
    config: SegmentConfig,
    t0: int,
    horizon: int,
) -> None:
    """Ordinary contacts, at least ``MIN_SLOT_GAP`` apart; segment people see only the GP,
    and never within two weeks of their segment story (``blocked`` = story start and end)."""
    n = len(person)
    count = np.minimum(1 + rng.poisson(config.background_contacts - 1, n), _MAX_SLOTS)
    owner = np.repeat(np.arange(n), count)
    slack = horizon - 30 * DAY - (count - 1) * MIN_SLOT_GAP
    pos = rng.random(len(owner)) * slack[owner]
    # sort positions within each person, then add the minimum gaps
    order = np.lexsort((pos, owner))
    pos = pos[order]
    first = np.r_[0, np.cumsum(count)[:-1]]
    rank = np.arange(len(owner)) - np.repeat(first, count)
    day_start = t0 + (pos.astype(np.int64) + rank * MIN_SLOT_GAP) // DAY * DAY
    when = day_start + 8 * HOUR + 30 * MINUTE + _u(rng, 0, 9, len(owner), HOUR)
    lo, hi = blocked
    keep = (when < lo[owner] - MIN_SLOT_GAP) | (when > hi[owner] + MIN_SLOT_GAP)
    kind = np.where(
        background[owner] & (rng.random(len(owner)) < config.background_other_agency),
        rng.integers(1, 5, len(owner)),
        0,
    )
    charity = rng.integers(0, len(HOUSING_CHARITIES), n)[owner]
    who = person[owner]
    sel = keep & (kind == 0)
    ev.add(who[sel], "gp", "GP appointment", when[sel])
    sel = keep & (kind == 1)  # an A&E attendance, home the same day
    arrive = when[sel]
    ev.add(who[sel], "ae", "A&E arrival", arrive)
    triage = arrive + _u(rng, 5, 40, len(arrive), MINUTE)
    ev.add(who[sel], "ae", "A&E triage", triage)
    ev.add(who[sel], "ae", "A&E discharge", triage + _u(rng, 1, 4, len(arrive), HOUR), outcome=1)
    sel = keep & (kind == 2)
    ev.add(who[sel], "police", "Police contact", when[sel])
    sel = keep & (kind == 3)
    ev.add(who[sel], "asc", "Social care referral", when[sel])
    ev.add(who[sel], "asc", "Care assessment", when[sel] + _u(rng, 2, 7, int(sel.sum()), DAY))
    for k, name in enumerate(HOUSING_CHARITIES):
        sel = keep & (kind == 4) & (charity == k)
        ev.add(who[sel], name, "Housing advice", when[sel])


def generate_events(
    rng: np.random.Generator,
    segment: npt.NDArray[np.int8],
    planted: npt.NDArray[np.bool_],
    *,
    config: SegmentConfig,
    t0: int,
    horizon: int,
) -> dict[str, I64]:
    """All events of the population, as parallel arrays (see :class:`EventArrays`)."""
    ev = EventArrays()
    n = len(segment)
    person = np.arange(n, dtype=np.int64)
    # stories start after a month and end (at most ~160 days later) before the horizon
    anchor = t0 + 30 * DAY + _u(rng, 0, (horizon - _STORY_ROOM) / DAY, n, DAY)
    anchor += _u(rng, 0, 24, n, HOUR)
    story_end = np.full(n, np.iinfo(np.int64).min // 4, np.int64)
    story_start = np.full(n, np.iinfo(np.int64).min // 4, np.int64)
    for code, build in (
        (Segment.FRAIL_ELDERLY, _frail_elderly),
        (Segment.PRISON_LEAVER, _prison_leavers),
        (Segment.MENTAL_HEALTH_CRISIS, _mental_health_crisis),
    ):
        sel = segment == code
        story_start[sel] = anchor[sel]
        story_end[sel] = build(ev, rng, person[sel], anchor[sel], planted[sel])
    _routine_contacts(
        ev,
        rng,
        person,
        segment == Segment.BACKGROUND,
        blocked=(story_start, story_end),
        config=config,
        t0=t0,
        horizon=horizon,
    )
    return ev.concat()
