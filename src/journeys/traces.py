"""Journeys: every event of a person, across agencies, in order, with hand-offs and waits.

:func:`build_journeys` joins the canonical events to a crosswalk and adds, per person:

``seq``
    1, 2, ... in a stable order: ``start``, then ``end`` (events without an end last),
    ``agency``, ``event_id``. The order never depends on the order of the input rows.
``prev_agency``, ``handoff``
    The agency of the previous event, and whether it differs from this event's agency.
``wait``
    Time since the person was last *seen*: this event's ``start`` minus the latest
    ``end`` (or ``start`` when an event has no ``end``) of all earlier events of the person,
    floored at zero (an event that starts while an earlier one is still open has no wait).
    Measuring from the latest end rather than from the previous row keeps a long hospital
    stay from hiding the wait after discharge. Null on a person's first event.
``episode``
    1, 2, ...: a new episode starts when ``wait`` exceeds ``JourneySettings.episode_gap``.

Events whose ``(agency, person_ref)`` is not in the crosswalk are never dropped. By default
each such record becomes its own person with a *negative* ``person_id`` (-1, -2, ... in the
order of ``(agency, person_ref)``), so they are easy to find and to report with
:func:`find_unlinked`; ``unlinked="error"`` raises instead.

Service episodes (admission to discharge, referral to closure) are built by
:func:`build_service_episodes` from pairs of opening and closing activities.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

import polars as pl

from journeys._settings import SettingsFile, parse_duration
from journeys.exceptions import ConfigError, DataError, SchemaError
from journeys.schema import (
    ACTIVITY,
    AGENCY,
    END,
    EPISODE,
    EVENT_ID,
    EVENTS,
    HANDOFF,
    JOURNEYS,
    MATCH_WEIGHT,
    PERSON_ID,
    PERSON_REF,
    PREV_AGENCY,
    SEQ,
    START,
    TIMESTAMP,
    WAIT,
)

__all__ = [
    "JOURNEY_SUMMARY",
    "SERVICE_EPISODES",
    "JourneySettings",
    "ServiceEpisodeRule",
    "build_journeys",
    "build_service_episodes",
    "find_unlinked",
    "identity_crosswalk",
    "summarise_journeys",
]

logger = logging.getLogger(__name__)

Frame = pl.DataFrame | pl.LazyFrame
Unlinked = Literal["own_person", "error"]
SummaryLevel = Literal["person", "episode"]

# Private column names (intermediate results only).
_SEEN = "_seen"
_SAME = "_same_person"
_REF_ORDER = "_unlinked_order"
_LAST = 2**63 - 1
_ROW = "_row"

#: One row per journey (person, or person and episode) from :func:`summarise_journeys`.
JOURNEY_SUMMARY = pl.Schema(
    {
        PERSON_ID: pl.Int64(),
        "events": pl.UInt32(),
        "agencies": pl.UInt32(),
        "agency_list": pl.List(pl.String()),
        "handoffs": pl.UInt32(),
        "episodes": pl.UInt32(),
        "first_start": TIMESTAMP,
        "last_end": TIMESTAMP,
        "lead_time": pl.Duration("us"),
    }
)
#: One row per service episode from :func:`build_service_episodes`.
SERVICE_EPISODES = pl.Schema(
    {
        PERSON_ID: pl.Int64(),
        AGENCY: pl.String(),
        "rule": pl.String(),
        START: TIMESTAMP,
        END: TIMESTAMP,
        "open_event_id": pl.String(),
        "close_event_id": pl.String(),
    }
)


@dataclass(frozen=True)
class ServiceEpisodeRule(SettingsFile):
    """A service episode opens at ``open_activity`` and closes at the first later event,
    at the same agency, whose activity is in ``close_activities``.

    When no closing event follows, the opening event's own ``end`` closes it (null if none).
    """

    name: str
    open_activity: str
    close_activities: tuple[str, ...] = ()


def _default_rules() -> tuple[ServiceEpisodeRule, ...]:
    return (
        ServiceEpisodeRule("inpatient_stay", "Emergency admission", ("Discharge",)),
        ServiceEpisodeRule("housing_case", "Housing referral", ()),
    )


@dataclass(frozen=True)
class JourneySettings(SettingsFile):
    """Settings of :func:`build_journeys`.

    Parameters
    ----------
    episode_gap
        A wait longer than this starts a new episode. Default ``"28d"``: four weeks without
        contact with any agency, the horizon most UK pathways use to close a spell of care.
    unlinked
        What to do with events whose ``(agency, person_ref)`` is not in the crosswalk:
        ``"own_person"`` (default) gives each such record its own negative ``person_id``;
        ``"error"`` raises :class:`~journeys.exceptions.DataError`.
    service_episodes
        Rules for :func:`build_service_episodes`.

    Examples
    --------
    >>> JourneySettings(episode_gap="14d").gap.days
    14
    """

    episode_gap: str = "28d"
    unlinked: Unlinked = "own_person"
    service_episodes: tuple[ServiceEpisodeRule, ...] = field(default_factory=_default_rules)

    def __post_init__(self) -> None:
        parse_duration(self.episode_gap, parameter="episode_gap", owner="JourneySettings")
        if self.unlinked not in ("own_person", "error"):
            raise ConfigError(
                "JourneySettings",
                [f"'unlinked' must be 'own_person' or 'error'. Got {self.unlinked!r}"],
            )

    @property
    def gap(self) -> timedelta:
        """``episode_gap`` as a :class:`~datetime.timedelta`."""
        return parse_duration(self.episode_gap, parameter="episode_gap", owner="JourneySettings")


def _lazy(data: Frame, name: str, required: tuple[str, ...]) -> pl.LazyFrame:
    lf = data.lazy()
    names = lf.collect_schema().names()
    missing = [c for c in required if c not in names]
    if missing:
        raise SchemaError(
            name,
            [
                f"column '{c}' is missing (found: {', '.join(names) or 'no columns'}); "
                f"add it or rename the column that holds it"
                for c in missing
            ],
        )
    return lf


def _canonical_events(events: Frame) -> pl.LazyFrame:
    """Events with every canonical column (optional ones filled with nulls) in order."""
    lf = _lazy(events, "events", (AGENCY, PERSON_REF, EVENT_ID, ACTIVITY, START))
    names = lf.collect_schema().names()
    fill = [pl.lit(None, dtype).alias(n) for n, dtype in EVENTS.items() if n not in names]
    extra = [n for n in names if n not in EVENTS and n not in JOURNEYS]
    lf = lf.with_columns(fill) if fill else lf
    return lf.select(
        *[pl.col(n).cast(dtype) for n, dtype in EVENTS.items()], *[pl.col(n) for n in extra]
    )


def identity_crosswalk(events: Frame) -> pl.LazyFrame:
    """A crosswalk in which each ``(agency, person_ref)`` is its own person.

    Use it for a single agency's log, where the case id is the ``person_ref``.
    ``person_id`` is 1, 2, ... in the order of ``(agency, person_ref)``.

    Examples
    --------
    >>> ev = pl.DataFrame({"agency": ["h", "h"], "person_ref": ["B", "A"]})
    >>> identity_crosswalk(ev).collect()["person_id"].to_list()
    [1, 2]
    """
    lf = _lazy(events, "events", (AGENCY, PERSON_REF))
    return (
        lf.select(pl.col(AGENCY).cast(pl.String), pl.col(PERSON_REF).cast(pl.String))
        .unique()
        .sort(AGENCY, PERSON_REF)
        .with_row_index(PERSON_ID, offset=1)
        .select(
            AGENCY,
            PERSON_REF,
            pl.col(PERSON_ID).cast(pl.Int64),
            pl.lit(None, pl.Float64).alias(MATCH_WEIGHT),
        )
    )


def find_unlinked(events: Frame, crosswalk: Frame) -> pl.LazyFrame:
    """The ``(agency, person_ref)`` records of ``events`` missing from ``crosswalk``.

    One row per record with its number of ``events``, sorted; use it to report them.

    Examples
    --------
    >>> ev = pl.DataFrame({"agency": ["h", "h"], "person_ref": ["A", "B"]})
    >>> cw = pl.DataFrame({"agency": ["h"], "person_ref": ["A"], "person_id": [1]})
    >>> find_unlinked(ev, cw).collect()["person_ref"].to_list()
    ['B']
    """
    ev = _lazy(events, "events", (AGENCY, PERSON_REF))
    cw = _lazy(crosswalk, "crosswalk", (AGENCY, PERSON_REF, PERSON_ID))
    return (
        ev.join(cw.select(AGENCY, PERSON_REF), on=[AGENCY, PERSON_REF], how="anti")
        .group_by(AGENCY, PERSON_REF)
        .agg(pl.len().alias("events"))
        .sort(AGENCY, PERSON_REF)
    )


def _assign_people(ev: pl.LazyFrame, crosswalk: Frame, unlinked: Unlinked) -> pl.DataFrame:
    """Events joined to their ``person_id`` (collected: the ordering step needs them all)."""
    cw = _lazy(crosswalk, "crosswalk", (AGENCY, PERSON_REF, PERSON_ID)).select(
        pl.col(AGENCY).cast(pl.String),
        pl.col(PERSON_REF).cast(pl.String),
        pl.col(PERSON_ID).cast(pl.Int64),
    )
    dupes = (
        cw.group_by(AGENCY, PERSON_REF).agg(pl.len().alias("n")).filter(pl.col("n") > 1)
    ).collect()
    if dupes.height:
        agencies = sorted(set(dupes.get_column(AGENCY).to_list()))
        raise SchemaError(
            "crosswalk",
            [
                f"{dupes.height} (agency, person_ref) record(s) appear more than once (agencies: "
                f"{', '.join(agencies)}); each record must map to exactly one person_id"
            ],
        )
    joined = ev.join(cw, on=[AGENCY, PERSON_REF], how="left").collect()
    missing = joined.get_column(PERSON_ID).is_null()
    if not missing.any():
        return joined
    # only the (usually few) unlinked rows are looked at again
    refs = joined.filter(missing).select(AGENCY, PERSON_REF)
    orphans = (
        refs.unique()
        .sort(AGENCY, PERSON_REF)
        .with_row_index(_REF_ORDER, offset=1)
        .select(AGENCY, PERSON_REF, (-pl.col(_REF_ORDER).cast(pl.Int64)).alias(PERSON_ID))
    )
    if unlinked == "error":
        raise DataError(
            f"{orphans.height} (agency, person_ref) record(s) of the events are not in the "
            f"crosswalk (first: agency {orphans.item(0, AGENCY)!r}); add them to the "
            "crosswalk, or use JourneySettings(unlinked='own_person') to give each its own "
            "person id"
        )
    ids = refs.join(
        orphans, on=[AGENCY, PERSON_REF], how="left", nulls_equal=True, maintain_order="left"
    ).get_column(PERSON_ID)
    person = joined.get_column(PERSON_ID).clone()
    person.scatter(missing.arg_true(), ids)
    return joined.with_columns(person)


def _journey_order(frame: pl.DataFrame) -> pl.Series:
    """Row indices of ``frame`` in journey order: person, start, end, agency, event_id.

    Sorting on several columns, strings above all, is the expensive part of ordering
    millions of events. The order is first found on two integer keys (person and start,
    nulls last); only the rows that tie on both, usually very few, are then sorted on all
    five columns, within the places they already hold. The result is exactly that of
    sorting on the five columns with nulls last.
    """
    last = pl.lit(_LAST, pl.Int64)  # nulls sort last; a real value there ties and is re-sorted
    keys = frame.select(
        pl.col(PERSON_ID).cast(pl.Int64).fill_null(last),
        pl.col(START).dt.epoch("us").fill_null(last),
    )
    # two stable single-key sorts (least significant key first) beat one two-key sort
    order = keys.select(pl.arg_sort_by(START, maintain_order=True).alias(_ROW)).get_column(_ROW)
    by_person = keys.get_column(PERSON_ID).gather(order).to_frame()
    order = order.gather(
        by_person.select(pl.arg_sort_by(PERSON_ID, maintain_order=True)).to_series()
    )
    ranked = keys.select(pl.all().gather(order))
    same = (pl.col(PERSON_ID) == pl.col(PERSON_ID).shift(1)) & (
        pl.col(START) == pl.col(START).shift(1)
    )
    tied = ranked.select((same | same.shift(-1)).fill_null(False).alias("_tied")).to_series()
    if not tied.any():
        return order
    at = tied.arg_true()
    rows = order.gather(at)
    sub = frame.select(PERSON_ID, START, END, AGENCY, EVENT_ID).select(pl.all().gather(rows))
    within = sub.select(
        pl.arg_sort_by([PERSON_ID, START, END, AGENCY, EVENT_ID], nulls_last=True)
    ).to_series()
    order = order.clone()
    order.scatter(at, rows.gather(within))
    return order


def _last_seen(ordered: pl.DataFrame) -> pl.Series:
    """When each person was last seen up to each row: the running maximum, per person, of
    ``end`` (or ``start`` when there is no end), on rows in journey order.

    A running maximum per person is a window function over millions of groups. Rows are
    sorted by person and start, so over the rows without an ``end`` the maximum is simply
    the start of the latest such row; only the (few) rows with an ``end`` need a running
    maximum per person. Both are carried down to the rows below by a forward fill that
    stops at the next person.
    """
    if ordered.get_column(START).null_count():  # start is not monotonic: the general way
        seen = pl.coalesce(END, START).cum_max().over(PERSON_ID)
        return ordered.select(seen.alias(_SEEN)).to_series()
    person = pl.col(PERSON_ID)
    ended = ordered.get_column(END).is_not_null()
    at = ended.arg_true()
    sub = ordered.select(person, pl.col(END)).select(pl.all().gather(at))
    running = sub.select(pl.col(END).cum_max().over(PERSON_ID)).to_series()
    n = ordered.height
    ends = pl.select(pl.repeat(None, n, dtype=ordered.schema[END]).alias("_e")).to_series()
    ends.scatter(at, running)
    owners = pl.select(pl.repeat(None, n, dtype=pl.Int64).alias("_o")).to_series()
    owners.scatter(at, sub.get_column(PERSON_ID).cast(pl.Int64))
    open_ended = pl.col(END).is_null()
    starts = pl.when(pl.when(open_ended).then(person).forward_fill() == person).then(
        pl.when(open_ended).then(pl.col(START)).forward_fill()
    )
    closed = pl.when(pl.lit(owners).forward_fill() == person).then(pl.lit(ends).forward_fill())
    return ordered.select(pl.max_horizontal(starts, closed).alias(_SEEN)).to_series()


def build_journeys(
    events: Frame,
    crosswalk: Frame,
    *,
    settings: JourneySettings | None = None,
) -> pl.LazyFrame:
    """Every event with its ``person_id``, in order, with hand-offs, waits and episodes.

    Parameters
    ----------
    events
        Canonical events (:data:`journeys.schema.EVENTS`; extra attribute columns are kept
        after the journey columns).
    crosswalk
        ``agency, person_ref, person_id`` (:data:`journeys.schema.CROSSWALK`); for a single
        agency's log use :func:`identity_crosswalk`.
    settings
        :class:`JourneySettings` (episode gap, unlinked records).

    Returns
    -------
    pl.LazyFrame
        :data:`journeys.schema.JOURNEYS` columns, sorted by ``person_id`` and ``seq``.
        The events are joined and put in order when this function is called (one sort on
        integer keys; ties are broken on the few tied rows only); the journey columns are
        computed lazily over that ordered frame, so collect the result once and reuse it.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> ev = pl.DataFrame({
    ...     "agency": ["ae", "asc"], "person_ref": ["a1", "s9"], "event_id": ["e1", "e2"],
    ...     "activity": ["Attend", "Assess"], "service": ["emergency_care", "social_care"],
    ...     "start": [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)]})
    >>> cw = pl.DataFrame({"agency": ["ae", "asc"], "person_ref": ["a1", "s9"],
    ...                    "person_id": [7, 7]})
    >>> build_journeys(ev, cw).collect()[["seq", "prev_agency", "handoff", "wait"]].rows()
    [(1, None, False, None), (2, 'ae', True, datetime.timedelta(days=2))]
    """
    settings = settings or JourneySettings()
    ev = _canonical_events(events)
    extra = [n for n in ev.collect_schema().names() if n not in EVENTS]
    # one contiguous chunk per column: gathering from a chunked frame is ~10x slower
    people = _assign_people(ev, crosswalk, settings.unlinked).rechunk()
    # sorted by person: window expressions over person_id can use contiguous groups
    ordered = people.select(pl.all().gather(_journey_order(people)))
    del people
    lf = ordered.with_columns(pl.col(PERSON_ID).set_sorted(), _last_seen(ordered)).lazy()
    same = pl.col(PERSON_ID) == pl.col(PERSON_ID).shift(1)
    seen = pl.col(_SEEN)
    # rows are sorted by person: number rows and episodes with running counts that restart
    # at each person's first row (cheaper than window functions over ~10 million rows)
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    new_episode = (~pl.col(_SAME) | (pl.col(WAIT) > pl.lit(settings.gap))).cast(pl.UInt32)
    running = new_episode.cum_sum()
    at_first = pl.when(~pl.col(_SAME))
    journeys = (
        lf.with_columns(
            same.fill_null(False).alias(_SAME),
            seen.alias(_SEEN),
        )
        .with_columns(
            pl.when(_SAME).then(pl.col(AGENCY).shift(1)).alias(PREV_AGENCY),
            pl.when(_SAME)
            .then(
                pl.max_horizontal(
                    pl.col(START) - pl.col(_SEEN).shift(1), pl.duration(microseconds=0)
                )
            )
            .alias(WAIT),
        )
        .with_columns(
            (pl.col(_SAME) & (pl.col(AGENCY) != pl.col(PREV_AGENCY))).alias(HANDOFF),
            (row - at_first.then(row).forward_fill() + 1).alias(SEQ),
            (running - at_first.then(running).forward_fill() + 1).alias(EPISODE),
        )
    )
    return journeys.select(
        *[pl.col(n).cast(dtype) for n, dtype in JOURNEYS.items()], *[pl.col(n) for n in extra]
    )


def summarise_journeys(journeys: Frame, *, by: SummaryLevel = "person") -> pl.LazyFrame:
    """One row per journey: events, agencies touched, hand-offs, lead time.

    Parameters
    ----------
    journeys
        The output of :func:`build_journeys`.
    by
        ``"person"`` (the whole journey) or ``"episode"`` (one row per person and episode,
        with an ``episode`` column; hand-offs that open an episode are not counted).

    Returns
    -------
    pl.LazyFrame
        :data:`JOURNEY_SUMMARY` columns (plus ``episode`` when ``by="episode"``). The lead
        time runs from the first ``start`` to the latest ``end`` (or ``start``).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> ev = pl.DataFrame({
    ...     "agency": ["ae", "asc"], "person_ref": ["a1", "s9"], "event_id": ["e1", "e2"],
    ...     "activity": ["Attend", "Assess"], "service": ["emergency_care", "social_care"],
    ...     "start": [datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)]})
    >>> cw = identity_crosswalk(ev).with_columns(person_id=pl.lit(1, pl.Int64))
    >>> summarise_journeys(build_journeys(ev, cw)).collect()["lead_time"].to_list()
    [datetime.timedelta(days=2)]
    """
    if by not in ("person", "episode"):
        raise ConfigError("summarise_journeys", [f"'by' must be 'person' or 'episode'. Got {by!r}"])
    lf = _lazy(journeys, "journeys", (PERSON_ID, SEQ, AGENCY, START, HANDOFF, EPISODE))
    keys = [PERSON_ID] if by == "person" else [PERSON_ID, EPISODE]
    handoffs = pl.col(HANDOFF)
    if by == "episode":
        # a hand-off that opens a new episode belongs to no episode
        lf = lf.sort(PERSON_ID, SEQ)
        handoffs = pl.col(HANDOFF) & (pl.col(EPISODE) == pl.col(EPISODE).shift(1))
    summary = lf.group_by(keys).agg(
        pl.len().alias("events"),
        pl.col(AGENCY).n_unique().cast(pl.UInt32).alias("agencies"),
        pl.col(AGENCY).unique().sort().alias("agency_list"),
        handoffs.sum().cast(pl.UInt32).alias("handoffs"),
        pl.col(EPISODE).n_unique().cast(pl.UInt32).alias("episodes"),
        pl.col(START).min().alias("first_start"),
        pl.coalesce(END, START).max().alias("last_end"),
    )
    return (
        summary.with_columns((pl.col("last_end") - pl.col("first_start")).alias("lead_time"))
        .select(*keys, *[n for n in JOURNEY_SUMMARY if n != PERSON_ID])
        .sort(keys)
    )


def build_service_episodes(
    journeys: Frame, *, rules: tuple[ServiceEpisodeRule, ...] | None = None
) -> pl.LazyFrame:
    """Service episodes such as admission to discharge, one row per opening event.

    Each opening event (``rule.open_activity``) is closed by the first later event at the same
    agency, of the same person, whose activity is in ``rule.close_activities``; failing that,
    by the opening event's own ``end`` (null when it has none: still open).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> d = [datetime(2024, 1, day, tzinfo=UTC) for day in (1, 5)]
    >>> ev = pl.DataFrame({"agency": ["acute"] * 2, "person_ref": ["p"] * 2,
    ...     "event_id": ["a", "d"], "activity": ["Emergency admission", "Discharge"],
    ...     "service": ["inpatient"] * 2, "start": d})
    >>> j = build_journeys(ev, identity_crosswalk(ev))
    >>> build_service_episodes(j).collect()["close_event_id"].to_list()
    ['d']
    """
    rules = JourneySettings().service_episodes if rules is None else rules
    lf = _lazy(journeys, "journeys", (PERSON_ID, AGENCY, EVENT_ID, ACTIVITY, START))
    if END not in lf.collect_schema().names():
        lf = lf.with_columns(pl.lit(None, TIMESTAMP).alias(END))
    parts: list[pl.LazyFrame] = []
    for rule in rules:
        opens = (
            lf.filter(pl.col(ACTIVITY) == rule.open_activity)
            .select(
                PERSON_ID,
                AGENCY,
                pl.col(START),
                pl.col(END).alias("_own_end"),
                pl.col(EVENT_ID).alias("open_event_id"),
            )
            .sort(START)
        )
        closes = (
            lf.filter(pl.col(ACTIVITY).is_in(list(rule.close_activities)))
            .select(
                PERSON_ID,
                AGENCY,
                pl.col(START).alias("_close_at"),
                pl.col(EVENT_ID).alias("close_event_id"),
            )
            .sort("_close_at")
        )
        episodes = opens.join_asof(
            closes,
            left_on=START,
            right_on="_close_at",
            by=[PERSON_ID, AGENCY],
            strategy="forward",
            check_sortedness=False,
        )
        parts.append(
            episodes.select(
                PERSON_ID,
                AGENCY,
                pl.lit(rule.name).alias("rule"),
                START,
                pl.coalesce("_close_at", "_own_end").alias(END),
                "open_event_id",
                "close_event_id",
            )
        )
    if not parts:
        return pl.LazyFrame(schema=SERVICE_EPISODES)
    return pl.concat(parts).cast(SERVICE_EPISODES).sort(PERSON_ID, START, "rule")
