"""Assemble the synthetic population: people, agency records, events, truth and planted patterns."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from journeys import schema as s
from journeys.exceptions import ConfigError
from journeys.synth._agencies import ACTIVITIES, AGENCIES
from journeys.synth._config import SynthConfig
from journeys.synth._identities import apply_noise, generate_people
from journeys.synth._pathways import DAY, OUTCOMES, Pattern, generate_events

__all__ = ["Population", "generate_population", "write_population"]

logger = logging.getLogger(__name__)
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: The files :func:`write_population` writes, by attribute of :class:`Population`.
FILES: Final = {
    "identities": "identities.parquet",
    "events": "events.parquet",
    "truth": "truth.parquet",
    "planted": "planted.parquet",
}


@dataclass(frozen=True)
class Population:
    """A synthetic multi-agency population with its ground truth.

    Attributes
    ----------
    identities, events, truth, planted
        The canonical tables (see :mod:`journeys.schema`).
    people
        The clean, true identity of each person, with ``true_person_id`` and ``segment``.
    noise
        Which noise kinds were applied to which agency record (``agency, person_ref, kind``).
    config, seed
        What generated it.
    """

    identities: pl.DataFrame
    events: pl.DataFrame
    truth: pl.DataFrame
    planted: pl.DataFrame
    people: pl.DataFrame
    noise: pl.DataFrame
    config: SynthConfig = field(repr=False)
    seed: int = 0

    def summary(self) -> pl.DataFrame:
        """Agencies with their records, people and events: what the demo prints."""
        events = self.events.group_by(s.AGENCY).agg(events=pl.len())
        people = self.truth.group_by(s.AGENCY).agg(
            records=pl.len(), people=pl.col(s.TRUE_PERSON_ID).n_unique()
        )
        order = pl.DataFrame(
            {s.AGENCY: [a.code for a in AGENCIES], s.SERVICE: [a.service for a in AGENCIES]}
        )
        return (
            order.join(people, on=s.AGENCY, how="left")
            .join(events, on=s.AGENCY, how="left")
            .fill_null(0)
        )


def _assign_refs(records: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Shuffled, unique local reference numbers per agency; a second one for duplicates."""
    parts = []
    for a_i, agency in enumerate(AGENCIES):
        sub = records.filter(pl.col("_agency") == a_i)
        dup = sub.get_column("_dup").to_numpy()
        n1, n2 = sub.height, int(dup.sum())
        numbers = (
            10_000_000 + rng.permutation(n1 + n2).astype(np.int64) * 7 + rng.integers(0, 7, n1 + n2)
        )
        second = np.full(n1, -1, np.int64)
        second[dup] = numbers[n1:]
        parts.append(
            sub.with_columns(
                _ref1=pl.lit(agency.ref_prefix) + pl.Series(numbers[:n1]).cast(pl.String),
                _ref2=pl.when(pl.Series(second) >= 0).then(
                    pl.lit(agency.ref_prefix) + pl.Series(second).cast(pl.String)
                ),
            )
        )
    return pl.concat(parts)


def generate_population(
    people: int = 10_000, *, seed: int = 0, config: SynthConfig | None = None
) -> Population:
    """Generate a synthetic population whose lives cross agencies, deterministic by seed.

    Parameters
    ----------
    people
        Number of true people.
    seed
        Seed of every random draw: the same seed gives identical tables.
    config
        Segment shares, pathways and identity noise; the defaults are documented in
        :class:`SynthConfig`.

    Examples
    --------
    >>> pop = generate_population(2_000, seed=7)
    >>> sorted(pop.planted.get_column("pattern").unique())
    ['duplicate_housing', 'ping_pong', 'revolving_door']
    """
    if people < 100:
        raise ConfigError(
            "generate_population",
            [f"The 'people' parameter of generate_population must be at least 100. Got {people}."],
        )
    config = config or SynthConfig()
    rng = np.random.default_rng(seed)
    seg_cfg = config.segments
    shares = [
        1 - seg_cfg.frail_elderly - seg_cfg.prison_leavers - seg_cfg.mental_health_crisis,
        seg_cfg.frail_elderly,
        seg_cfg.prison_leavers,
        seg_cfg.mental_health_crisis,
    ]
    segment = rng.choice(4, people, p=shares).astype(np.int8)
    plant_share = np.array(
        [
            0.0,
            seg_cfg.revolving_door_planted,
            seg_cfg.duplicate_housing_planted,
            seg_cfg.ping_pong_planted,
        ]
    )
    planted = rng.random(people) < plant_share[segment]
    t0 = (
        int((dt.datetime.combine(config.start, dt.time(), dt.UTC) - _EPOCH).total_seconds())
        * 1_000_000
    )
    logger.info("generating events for %d people", people)
    ev = generate_events(rng, segment, planted, config=seg_cfg, t0=t0, horizon=config.days * DAY)
    truth_people = generate_people(rng, segment, config.start, seed)

    # agency records: one per (agency, person), plus duplicate registrations
    position = {a.code: i for i, a in enumerate(AGENCIES)}
    act_agency = np.array([position[code] for code, _ in ACTIVITIES])
    agency_idx = act_agency[ev["activity"]]
    events = pl.DataFrame(
        {
            "_person": ev["person"],
            "_agency": agency_idx.astype(np.int64),
            "_activity": ev["activity"],
            "_start": ev["start"],
            "_end": ev["end"],
            "_pattern": ev["pattern"],
            "_outcome": ev["outcome"],
        }
    )
    records = (
        events.group_by("_agency", "_person")
        .agg(_first=pl.col("_start").min(), _last=pl.col("_start").max())
        .sort("_agency", "_person")
    )
    dup = rng.random(records.height) < config.noise.duplicate_registration
    records = records.with_columns(
        _dup=pl.Series(dup), _mid=pl.col("_first") + (pl.col("_last") - pl.col("_first")) // 2
    )
    records = _assign_refs(records, rng)
    events = events.join(
        records.select("_agency", "_person", "_ref1", "_ref2", "_mid"),
        on=["_agency", "_person"],
        how="left",
        maintain_order="left",
    ).with_columns(
        pl.when(pl.col("_ref2").is_not_null() & (pl.col("_start") > pl.col("_mid")))
        .then(pl.col("_ref2"))
        .otherwise(pl.col("_ref1"))
        .alias(s.PERSON_REF)
    )
    return _finish(events, records, truth_people, rng, config=config, seed=seed)


def _finish(
    events: pl.DataFrame,
    records: pl.DataFrame,
    people: pl.DataFrame,
    rng: np.random.Generator,
    *,
    config: SynthConfig,
    seed: int,
) -> Population:
    agency_names = pl.Series([a.code for a in AGENCIES])
    act_name = pl.Series([n for _, n in ACTIVITIES])
    services = {a.code: a.service for a in AGENCIES}
    prefixes = {a.code: a.ref_prefix for a in AGENCIES}
    events = events.sort("_agency", "_start", "_person", "_activity")
    n = events.height
    events = events.with_columns(
        _n=pl.int_range(pl.len()).over("_agency") + 1,
        _team=pl.Series(rng.integers(1, 9, n)),
        _agency_code=agency_names.gather(events.get_column("_agency")),
    )
    canonical = events.select(
        pl.col("_agency_code").alias(s.AGENCY),
        pl.col(s.PERSON_REF),
        (
            pl.col("_agency_code").replace_strict(prefixes, return_dtype=pl.String)
            + pl.lit("-E")
            + pl.col("_n").cast(pl.String).str.zfill(9)
        ).alias(s.EVENT_ID),
        act_name.gather(events.get_column("_activity")).alias(s.ACTIVITY),
        pl.col("_agency_code").replace_strict(services, return_dtype=pl.String).alias(s.SERVICE),
        pl.col("_start").cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias(s.START),
        pl.when(pl.col("_end") >= 0)
        .then(pl.col("_end"))
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
        .alias(s.END),
        (pl.col("_agency_code") + pl.lit("-team-") + pl.col("_team").cast(pl.String)).alias(
            s.RESOURCE
        ),
        pl.when(pl.col("_outcome") >= 0)
        .then(pl.col("_outcome").replace_strict(dict(enumerate(OUTCOMES)), default=None))
        .alias(s.OUTCOME),
    )
    planted = (
        pl.concat(
            [events.select("_person", "_pattern"), canonical.select(s.EVENT_ID)], how="horizontal"
        )
        .filter(pl.col("_pattern") > 0)
        .group_by("_person", "_pattern")
        .agg(pl.col(s.EVENT_ID).sort())
        .sort("_person", "_pattern")
        .select(
            pl.col("_person").alias(s.TRUE_PERSON_ID),
            pl.col("_pattern")
            .replace_strict(dict(enumerate(Pattern.NAMES)), return_dtype=pl.String)
            .alias("pattern"),
            pl.col(s.EVENT_ID).alias("event_ids"),
        )
    )
    codes = agency_names.gather(records.get_column("_agency"))
    truth = (
        pl.concat(
            [
                records.select(
                    codes.alias(s.AGENCY), pl.col("_ref1").alias(s.PERSON_REF), "_person"
                ),
                records.filter(pl.col("_ref2").is_not_null()).select(
                    agency_names.gather(
                        records.filter(pl.col("_ref2").is_not_null()).get_column("_agency")
                    ).alias(s.AGENCY),
                    pl.col("_ref2").alias(s.PERSON_REF),
                    "_person",
                ),
            ]
        )
        .rename({"_person": s.TRUE_PERSON_ID})
        .sort(s.AGENCY, s.PERSON_REF)
    )
    clean = truth.join(people, on=s.TRUE_PERSON_ID, how="left", maintain_order="left")
    nhs_agencies = [a.code for a in AGENCIES if a.records_nhs_number]
    noisy, noise_log = apply_noise(
        clean.select(s.IDENTITIES.names()),
        rng,
        config.noise,
        people.get_column(s.POSTCODE).unique().sort(),
        people.get_column(s.FAMILY_NAME).unique().sort(),
    )
    identities = noisy.with_columns(
        pl.when(pl.col(s.AGENCY).is_in(nhs_agencies))
        .then(pl.col(s.NATIONAL_ID))
        .alias(s.NATIONAL_ID)
    )
    return Population(
        identities=identities.cast(dict(s.IDENTITIES)),  # type: ignore[arg-type]
        events=canonical.cast(dict(s.EVENTS)),  # type: ignore[arg-type]
        truth=truth.cast(dict(s.TRUTH)),  # type: ignore[arg-type]
        planted=planted.cast(dict(s.PLANTED)),  # type: ignore[arg-type]
        people=people,
        noise=noise_log,
        config=config,
        seed=seed,
    )


def write_population(population: Population, out: str | Path) -> dict[str, Path]:
    """Write the canonical tables and the truth as Parquet files in ``out``.

    The files are byte-identical for the same seed and configuration.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for attr, name in FILES.items():
        path = folder / name
        frame: pl.DataFrame = getattr(population, attr)
        frame.write_parquet(path, compression="zstd", statistics=True)
        written[attr] = path
    return written
