"""True identities of the population and the noisy copies each agency holds.

Surnames follow the weights of Faker's en_GB provider (derived from UK surname frequencies);
given names get a Zipf(1) weight over Faker's en_GB lists, an approximation of the skew of real
name frequencies. Postcodes come from a seeded pool of Faker en_GB postcodes, so households and
neighbours share them. NHS numbers carry a valid modulus-11 check digit.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from faker import Faker
from faker.providers.person.en_GB import Provider as PersonProvider

from journeys import schema as s
from journeys.nicknames import load_nicknames
from journeys.synth._config import NoiseConfig
from journeys.synth._pathways import Segment

__all__ = ["NOISE_KINDS", "apply_noise", "generate_people"]

_POSTCODE_POOL: Final = 40_000
_AGE_RANGE: Final = {
    Segment.BACKGROUND: (18, 90),
    Segment.FRAIL_ELDERLY: (75, 97),
    Segment.PRISON_LEAVER: (19, 55),
    Segment.MENTAL_HEALTH_CRISIS: (18, 65),
}
NOISE_KINDS: Final = (
    "typo",
    "transposition",
    "nickname",
    "surname_change",
    "day_month_swap",
    "missing_dob",
    "missing_postcode",
    "missing_sex",
    "moved_postcode",
    "formatting",
)
_LETTERS: Final = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _zipf(n: int) -> npt.NDArray[np.float64]:
    w = 1.0 / np.arange(1, n + 1)
    return np.asarray(w / w.sum(), dtype=np.float64)


def _nhs_numbers(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """Unique-enough random NHS numbers with a valid modulus-11 check digit."""
    out = np.empty(0, dtype=np.int64)
    weights = np.arange(10, 1, -1)
    while len(out) < n:
        digits = rng.integers(0, 10, (int((n - len(out)) * 1.15) + 16, 9))
        digits[:, 0] = rng.integers(4, 10, len(digits))  # NHS numbers in England start 4-9
        check = 11 - (digits @ weights) % 11
        check[check == 11] = 0
        ok = check != 10
        value = digits[ok] @ (10 ** np.arange(9, 0, -1)) + check[ok]
        out = np.concatenate([out, value])
    return out[:n].astype(str)


def generate_people(
    rng: np.random.Generator, segment: npt.NDArray[np.int8], reference: dt.date, seed: int
) -> pl.DataFrame:
    """The clean, true identity of every person (``true_person_id`` is the row number)."""
    n = len(segment)
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    postcodes = np.array(sorted({faker.postcode() for _ in range(_POSTCODE_POOL)}))
    female = np.array(PersonProvider.first_names_female)
    male = np.array(PersonProvider.first_names_male)
    surnames = np.array(list(PersonProvider.last_names.keys()))
    weights = np.array(list(PersonProvider.last_names.values()), dtype=np.float64)
    sex = np.where(rng.random(n) < 0.5, "F", "M").astype(object)
    sex[rng.random(n) < 0.001] = "X"
    given = np.where(
        sex == "F",
        female[rng.choice(len(female), n, p=_zipf(len(female)))],
        male[rng.choice(len(male), n, p=_zipf(len(male)))],
    )
    family = surnames[rng.choice(len(surnames), n, p=weights / weights.sum())]
    low = np.zeros(n)
    high = np.zeros(n)
    for code, (a, b) in _AGE_RANGE.items():
        low[segment == code], high[segment == code] = a, b
    age_days = (rng.uniform(low, high) * 365.25).astype(np.int64)
    ref = np.datetime64(reference, "D")
    dob = ref - age_days.astype("timedelta64[D]")
    return pl.DataFrame(
        {
            s.TRUE_PERSON_ID: np.arange(n, dtype=np.int64),
            "segment": np.array(Segment.NAMES)[segment],
            s.GIVEN_NAME: given,
            s.FAMILY_NAME: family,
            s.DATE_OF_BIRTH: dob,
            s.SEX: sex.astype(str),
            s.POSTCODE: postcodes[rng.integers(0, len(postcodes), n)],
            s.NATIONAL_ID: _nhs_numbers(rng, n),
        }
    ).with_columns(pl.col(s.DATE_OF_BIRTH).cast(pl.Date))


def _typo(col: str, pos: pl.Expr, char: pl.Expr) -> pl.Expr:
    c = pl.col(col)
    return c.str.slice(0, pos) + char + c.str.slice(pos + 1)


def _transpose(col: str, pos: pl.Expr) -> pl.Expr:
    c = pl.col(col)
    return (
        c.str.slice(0, pos) + c.str.slice(pos + 1, 1) + c.str.slice(pos, 1) + c.str.slice(pos + 2)
    )


def apply_noise(
    records: pl.DataFrame,
    rng: np.random.Generator,
    noise: NoiseConfig,
    postcodes: pl.Series,
    surnames: pl.Series,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Turn clean copies of identities into what each agency's system holds.

    ``records`` has the identity columns plus ``agency`` and ``person_ref``. Returns the noisy
    records and a log of the noise applied (``agency, person_ref, kind``), used by tests.
    """
    n = records.height
    name_kind = rng.choice(
        5,
        n,
        p=[
            noise.typo,
            noise.transposition,
            noise.nickname,
            noise.surname_change,
            1 - noise.typo - noise.transposition - noise.nickname - noise.surname_change,
        ],
    )
    on_family = rng.random(n) < 0.5
    nick = load_nicknames()
    first_variant = nick.group_by("name").agg(pl.col("variant").first()).sort("name")
    draws = pl.DataFrame(
        {
            "_kind": name_kind,
            "_on_family": on_family,
            "_u": rng.random(n),
            "_char": _LETTERS[rng.integers(0, 26, n)],
            "_dm": rng.random(n) < noise.day_month_swap,
            "_miss_dob": rng.random(n) < noise.missing_dob,
            "_miss_pc": rng.random(n) < noise.missing_postcode,
            "_miss_sex": rng.random(n) < noise.missing_sex,
            "_moved": rng.random(n) < noise.moved_postcode,
            "_fmt": rng.random(n) < noise.formatting,
            "_new_pc": postcodes.gather(rng.integers(0, len(postcodes), n)),
            "_new_sn": surnames.gather(rng.integers(0, len(surnames), n)),
            "_hyphen": rng.random(n) < 0.5,
        }
    )
    frame = pl.concat([records, draws], how="horizontal").with_columns(
        _target=pl.when(pl.col("_on_family"))
        .then(pl.lit(s.FAMILY_NAME))
        .otherwise(pl.lit(s.GIVEN_NAME))
    )
    frame = frame.join(
        first_variant.rename({"name": "_lower", "variant": "_variant"}),
        left_on=pl.col(s.GIVEN_NAME).str.to_lowercase(),
        right_on="_lower",
        how="left",
        maintain_order="left",
    )
    out = []
    for col in (s.GIVEN_NAME, s.FAMILY_NAME):
        length = pl.col(col).str.len_chars()
        pos = (pl.col("_u") * (length - 1).clip(lower_bound=1)).floor().cast(pl.Int64)
        hit = pl.col("_target") == col
        expr = (
            pl.when(hit & (pl.col("_kind") == 0) & (length >= 2))
            .then(_typo(col, pos, pl.col("_char")))
            .when(
                hit
                & (pl.col("_kind") == 1)
                & (length >= 2)
                & (pl.col(col).str.slice(pos, 1) != pl.col(col).str.slice(pos + 1, 1))
            )
            .then(_transpose(col, pos))
        )
        if col == s.GIVEN_NAME:
            expr = expr.when((pl.col("_kind") == 2) & pl.col("_variant").is_not_null()).then(
                pl.col("_variant").str.to_titlecase()
            )
        else:
            expr = expr.when(pl.col("_kind") == 3).then(
                pl.when(pl.col("_hyphen"))
                .then(pl.col(col) + pl.lit("-") + pl.col("_new_sn"))
                .otherwise(pl.col("_new_sn"))
            )
        out.append(expr.otherwise(pl.col(col)).alias(col))
    frame = frame.with_columns(out)
    dob = pl.col(s.DATE_OF_BIRTH)
    swappable = (dob.dt.day() <= 12) & (dob.dt.day() != dob.dt.month())
    swapped = pl.date(dob.dt.year(), dob.dt.day(), dob.dt.month())
    frame = frame.with_columns(_swapped=(pl.col("_dm") & swappable).fill_null(value=False))
    frame = frame.with_columns(
        pl.when(pl.col("_swapped")).then(swapped).otherwise(dob).alias(s.DATE_OF_BIRTH),
        pl.when(pl.col("_moved"))
        .then(pl.col("_new_pc"))
        .otherwise(pl.col(s.POSTCODE))
        .alias(s.POSTCODE),
    )
    # odd formatting: shouted surname, stray spaces, postcode without its space, lower case
    frame = frame.with_columns(
        pl.when(pl.col("_fmt"))
        .then(pl.col(s.FAMILY_NAME).str.to_uppercase())
        .otherwise(pl.col(s.FAMILY_NAME))
        .alias(s.FAMILY_NAME),
        pl.when(pl.col("_fmt"))
        .then(pl.lit(" ") + pl.col(s.GIVEN_NAME) + pl.lit("  "))
        .otherwise(pl.col(s.GIVEN_NAME))
        .alias(s.GIVEN_NAME),
        pl.when(pl.col("_fmt"))
        .then(pl.col(s.POSTCODE).str.replace(" ", "").str.to_lowercase())
        .otherwise(pl.col(s.POSTCODE))
        .alias(s.POSTCODE),
    )
    frame = frame.with_columns(
        pl.when(~pl.col("_miss_dob")).then(pl.col(s.DATE_OF_BIRTH)).alias(s.DATE_OF_BIRTH),
        pl.when(~pl.col("_miss_pc")).then(pl.col(s.POSTCODE)).alias(s.POSTCODE),
        pl.when(~pl.col("_miss_sex")).then(pl.col(s.SEX)).alias(s.SEX),
    )
    log = pl.concat(
        [
            frame.filter(cond).select(s.AGENCY, s.PERSON_REF, kind=pl.lit(name))
            for name, cond in (
                ("typo", pl.col("_kind") == 0),
                ("transposition", pl.col("_kind") == 1),
                ("nickname", (pl.col("_kind") == 2) & pl.col("_variant").is_not_null()),
                ("surname_change", pl.col("_kind") == 3),
                ("day_month_swap", pl.col("_swapped")),
                ("missing_dob", pl.col("_miss_dob")),
                ("missing_postcode", pl.col("_miss_pc")),
                ("missing_sex", pl.col("_miss_sex")),
                ("moved_postcode", pl.col("_moved")),
                ("formatting", pl.col("_fmt")),
            )
        ]
    )
    return frame.select(records.columns), log
