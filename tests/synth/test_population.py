"""The synthetic population: determinism, truth, planted patterns and noise against the config."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from journeys import schema as s
from journeys.cli import main
from journeys.exceptions import ConfigError
from journeys.nicknames import load_nicknames
from journeys.synth import (
    AGENCIES,
    HOUSING_CHARITIES,
    NoiseConfig,
    Population,
    SegmentConfig,
    SynthConfig,
    generate_population,
)

PEOPLE = 20_000


@pytest.fixture(scope="module")
def pop() -> Population:
    return generate_population(PEOPLE, seed=11)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_cli_twice_gives_byte_identical_parquet(tmp_path: Path) -> None:
    for run in ("a", "b"):
        assert (
            main(["synth", "--people", "10000", "--seed", "7", "--out", str(tmp_path / run)]) == 0
        )
    first, second = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert sorted(first) == [
        "events.parquet",
        "identities.parquet",
        "planted.parquet",
        "truth.parquet",
    ]
    assert first == second
    other = tmp_path / "c"
    assert main(["synth", "--people", "10000", "--seed", "8", "--out", str(other)]) == 0
    assert _digest(other)["events.parquet"] != first["events.parquet"]


def test_tables_follow_the_canonical_schemas(pop: Population) -> None:
    s.validate_identities(pop.identities)
    s.validate_events(pop.events)
    assert pop.truth.schema == s.TRUTH
    assert pop.planted.schema == s.PLANTED
    assert len({a.code for a in AGENCIES}) >= 8
    assert set(pop.events.get_column(s.AGENCY).unique()) == {a.code for a in AGENCIES}


def test_every_record_and_event_has_truth(pop: Population) -> None:
    keys = [s.AGENCY, s.PERSON_REF]
    assert pop.truth.select(keys).n_unique() == pop.truth.height
    assert pop.identities.join(pop.truth, on=keys, how="anti").height == 0
    assert pop.truth.join(pop.identities, on=keys, how="anti").height == 0
    assert pop.events.join(pop.truth, on=keys, how="anti").height == 0


def _evidence(pop: Population) -> pl.DataFrame:
    """Planted rows exploded to their evidence events, with the events' true person."""
    return (
        pop.planted.explode("event_ids")
        .rename({"event_ids": s.EVENT_ID, s.TRUE_PERSON_ID: "planted_person"})
        .join(pop.events, on=s.EVENT_ID, how="left")
        .join(pop.truth, on=[s.AGENCY, s.PERSON_REF], how="left")
    )


def test_planted_patterns_name_real_events_of_that_person(pop: Population) -> None:
    ev = _evidence(pop)
    assert ev.get_column(s.ACTIVITY).null_count() == 0, "evidence names a missing event"
    assert (ev.get_column("planted_person") == ev.get_column(s.TRUE_PERSON_ID)).all()


def test_revolving_doors_have_five_admissions_within_eight_weeks(pop: Population) -> None:
    ev = _evidence(pop).filter(pl.col("pattern") == "revolving_door")
    per = ev.group_by("planted_person").agg(
        n=pl.len(),
        span=pl.col(s.START).max() - pl.col(s.START).min(),
        acts=pl.col(s.ACTIVITY).unique(),
    )
    assert per.height > 0
    assert per.get_column("n").min() >= 5
    assert per.get_column("span").max() <= dt.timedelta(days=56)
    assert set(per.get_column("acts").explode()) == {"Emergency admission"}


def test_duplicate_housing_is_two_to_four_charities_in_overlapping_periods(pop: Population) -> None:
    ev = _evidence(pop).filter(pl.col("pattern") == "duplicate_housing")
    per = ev.group_by("planted_person").agg(
        charities=pl.col(s.AGENCY).n_unique(),
        latest_start=pl.col(s.START).max(),
        earliest_end=pl.col(s.END).min(),
    )
    assert per.get_column("charities").min() >= 2
    assert per.get_column("charities").max() <= 4
    assert (per.get_column("latest_start") < per.get_column("earliest_end")).all()
    assert set(ev.get_column(s.AGENCY)) <= set(HOUSING_CHARITIES)


def test_ping_pong_bounces_police_and_ae_within_72_hours(pop: Population) -> None:
    ev = _evidence(pop).filter(pl.col("pattern") == "ping_pong").sort("planted_person", s.START)
    police = (
        ev.filter(pl.col(s.AGENCY) == "police")
        .group_by("planted_person")
        .agg(times=pl.col(s.START).sort())
    )
    gaps = police.select(
        first_return=(pl.col("times").list.get(1) - pl.col("times").list.get(0))
    ).get_column("first_return")
    assert gaps.max() <= dt.timedelta(hours=72)
    assert set(ev.get_column(s.AGENCY)) == {"police", "ae"}


def _expected_share_multi_agency(config: SynthConfig) -> float:
    seg = config.segments
    segments = seg.frail_elderly + seg.prison_leavers + seg.mental_health_crisis
    lam, p = seg.background_contacts, seg.background_other_agency
    background_multi = 1 - (1 - p) * math.exp(-(lam - 1) * p)
    return segments + (1 - segments) * background_multi


def _band(p: float, n: int, bias: float = 0.0) -> float:
    return 4 * math.sqrt(max(p * (1 - p), 1e-9) / n) + bias * p


def test_share_of_people_seen_by_two_or_more_agencies(pop: Population) -> None:
    agencies = pop.truth.group_by(s.TRUE_PERSON_ID).agg(pl.col(s.AGENCY).n_unique())
    observed = agencies.filter(pl.col(s.AGENCY) >= 2).height / PEOPLE
    expected = _expected_share_multi_agency(pop.config)
    assert abs(observed - expected) < _band(expected, PEOPLE, bias=0.05)


def test_planted_counts_match_the_configured_shares(pop: Population) -> None:
    seg = pop.config.segments
    counts = dict(pop.planted.group_by("pattern").len().iter_rows())
    for pattern, share in (
        ("revolving_door", seg.frail_elderly * seg.revolving_door_planted),
        ("duplicate_housing", seg.prison_leavers * seg.duplicate_housing_planted),
        ("ping_pong", seg.mental_health_crisis * seg.ping_pong_planted),
    ):
        assert abs(counts[pattern] / PEOPLE - share) < _band(share, PEOPLE), pattern


@pytest.fixture(scope="module")
def compared(pop: Population) -> pl.DataFrame:
    clean = pop.people.select(
        s.TRUE_PERSON_ID,
        *(
            pl.col(c).alias(f"true_{c}")
            for c in (s.GIVEN_NAME, s.FAMILY_NAME, s.DATE_OF_BIRTH, s.SEX, s.POSTCODE)
        ),
    )
    return pop.identities.join(pop.truth, on=[s.AGENCY, s.PERSON_REF]).join(
        clean, on=s.TRUE_PERSON_ID
    )


def _rate(
    frame: pl.DataFrame, condition: pl.Expr, among: pl.Expr | None = None
) -> tuple[float, int]:
    base = frame if among is None else frame.filter(among)
    return base.filter(condition).height / base.height, base.height


def test_missing_fields_match_the_configured_rates(compared: pl.DataFrame) -> None:
    noise = NoiseConfig()
    for col, p in (
        (s.DATE_OF_BIRTH, noise.missing_dob),
        (s.POSTCODE, noise.missing_postcode),
        (s.SEX, noise.missing_sex),
    ):
        rate, n = _rate(compared, pl.col(col).is_null())
        assert abs(rate - p) < _band(p, n), col


def test_day_month_swaps_match_the_configured_rate(compared: pl.DataFrame) -> None:
    dob = pl.col(f"true_{s.DATE_OF_BIRTH}")
    swappable = (
        (dob.dt.day() <= 12)
        & (dob.dt.day() != dob.dt.month())
        & pl.col(s.DATE_OF_BIRTH).is_not_null()
    )
    swapped = pl.date(dob.dt.year(), dob.dt.day(), dob.dt.month())
    rate, n = _rate(compared, pl.col(s.DATE_OF_BIRTH) == swapped, among=swappable)
    p = NoiseConfig().day_month_swap
    assert abs(rate - p) < _band(p, n)


def _norm_pc(c: str) -> pl.Expr:
    return pl.col(c).str.replace_all(" ", "").str.to_uppercase()


def test_moved_postcodes_and_formatting_match_the_configured_rates(compared: pl.DataFrame) -> None:
    noise = NoiseConfig()
    rate, n = _rate(
        compared,
        _norm_pc(s.POSTCODE) != _norm_pc(f"true_{s.POSTCODE}"),
        among=pl.col(s.POSTCODE).is_not_null(),
    )
    assert abs(rate - noise.moved_postcode) < _band(noise.moved_postcode, n, bias=0.02)
    shouted = (pl.col(s.FAMILY_NAME) == pl.col(s.FAMILY_NAME).str.to_uppercase()) & (
        pl.col(f"true_{s.FAMILY_NAME}") != pl.col(f"true_{s.FAMILY_NAME}").str.to_uppercase()
    )
    rate, n = _rate(compared, shouted)
    assert abs(rate - noise.formatting) < _band(noise.formatting, n)


def test_name_noise_kinds_match_the_configured_rates(compared: pl.DataFrame) -> None:
    noise = NoiseConfig()
    frame = compared.with_columns(
        g=pl.col(s.GIVEN_NAME).str.strip_chars().str.to_lowercase(),
        f=pl.col(s.FAMILY_NAME).str.to_lowercase(),
        tg=pl.col(f"true_{s.GIVEN_NAME}").str.to_lowercase(),
        tf=pl.col(f"true_{s.FAMILY_NAME}").str.to_lowercase(),
    )
    kinds = {"typo": 0, "transposition": 0, "surname_change": 0}
    for g, f, tg, tf in frame.select("g", "f", "tg", "tf").iter_rows():
        for got, true in ((g, tg), (f, tf)):
            if got == true:
                continue
            ops = Levenshtein.editops(true, got)
            if len(got) == len(true) and len(ops) == 1:
                kinds["typo"] += 1
            elif (
                len(got) == len(true)
                and sorted(got) == sorted(true)
                and sum(a != b for a, b in zip(got, true, strict=True)) == 2
            ):
                kinds["transposition"] += 1
            elif got is f and got != true and (got.startswith(true + "-") or " " not in got):
                kinds["surname_change"] += 1
    n = frame.height
    assert abs(kinds["typo"] / n - noise.typo) < _band(noise.typo, n, bias=0.1)
    assert abs(kinds["transposition"] / n - noise.transposition) < _band(
        noise.transposition, n, bias=0.15
    )
    assert abs(kinds["surname_change"] / n - noise.surname_change) < _band(
        noise.surname_change, n, bias=0.1
    )
    variants = load_nicknames().rename({"name": "tg", "variant": "g"})
    eligible = frame.filter(pl.col("tg").is_in(variants.get_column("tg").implode()))
    nick = eligible.join(variants, on=["tg", "g"], how="semi").height / eligible.height
    assert abs(nick - noise.nickname) < _band(noise.nickname, eligible.height)


def test_duplicate_registrations_match_the_configured_rate(pop: Population) -> None:
    per = pop.truth.group_by(s.AGENCY, s.TRUE_PERSON_ID).len()
    rate = per.filter(pl.col("len") == 2).height / per.height
    p = NoiseConfig().duplicate_registration
    assert per.get_column("len").max() == 2
    assert abs(rate - p) < _band(p, per.height)


def test_population_is_deterministic_in_memory() -> None:
    a = generate_population(500, seed=3)
    b = generate_population(500, seed=3)
    assert a.events.equals(b.events)
    assert a.identities.equals(b.identities)
    assert a.planted.equals(b.planted)


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from(["typo", "missing_dob", "nickname"]), st.floats(-2, 2)))
def test_noise_config_rejects_non_probabilities(values: dict[str, float]) -> None:
    if (
        all(0 <= v <= 1 for v in values.values())
        and sum(values.get(k, getattr(NoiseConfig, k)) for k in ("typo", "nickname")) + 0.04 <= 1
    ):
        NoiseConfig(**values)
    else:
        with pytest.raises(ConfigError, match="NoiseConfig"):
            NoiseConfig(**values)


def test_config_round_trips_and_reports_unknown_keys() -> None:
    config = SynthConfig(days=400, segments=SegmentConfig(frail_elderly=0.1))
    assert SynthConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        SynthConfig.from_dict({"colour": 1})


def test_too_small_population_is_refused() -> None:
    with pytest.raises(ConfigError, match="'people' parameter"):
        generate_population(5)


def test_no_event_outside_the_horizon(pop: Population) -> None:
    start = dt.datetime.combine(pop.config.start, dt.time(), dt.UTC)
    end = start + dt.timedelta(days=pop.config.days)
    starts = pop.events.get_column(s.START)
    assert starts.min() >= start  # type: ignore[operator]
    assert starts.max() <= end  # type: ignore[operator]
    assert np.all(pop.events.get_column(s.EVENT_ID).is_unique().to_numpy())


def test_cli_native_extracts_ingest_back_to_the_same_events(tmp_path: Path) -> None:
    from journeys.adapters import ingest

    native = tmp_path / "native"
    args = ["synth", "--people", "500", "--seed", "2", "--out", str(tmp_path / "c")]
    assert main([*args, "--native", str(native)]) == 0
    mappings = sorted(native.glob("*.yaml"))
    assert len(mappings) == 2 * len(AGENCIES)  # an activity extract and a register per agency
    result = ingest(mappings)
    original = pl.read_parquet(tmp_path / "c" / "events.parquet")
    assert all(a.balanced and a.quarantined == 0 for a in result.accounts)
    assert result.events.sort(s.EVENT_ID).select(original.columns).equals(original.sort(s.EVENT_ID))
