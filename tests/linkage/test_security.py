"""Security tests: no identifier downstream of encoding, no default secret, keyed encodings,
and a frequency attack with and without hardening."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from journeys import schema as s
from journeys.exceptions import JourneysError, PrivacyError
from journeys.linkage import (
    LinkageSettings,
    encode_identities,
    explain_link,
    link_encodings,
    load_secret,
    normalise_identities,
    write_encodings,
)
from journeys.linkage.bits import dice_pairs, from_binary
from journeys.linkage.datasets import febrl4_schema
from journeys.linkage.settings import EncodingSchema, Hardening, default_schema

from .conftest import OTHER_SECRET, SECRET

logger = logging.getLogger(__name__)


# -- the secret ------------------------------------------------------------------------------
def test_no_secret_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNEYS_LINKAGE_SECRET", raising=False)
    with pytest.raises(PrivacyError, match="JOURNEYS_LINKAGE_SECRET is not set"):
        load_secret()


def test_secret_file_problems_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(PrivacyError, match="cannot be read"):
        load_secret(file=tmp_path / "missing.key")
    empty = tmp_path / "empty.key"
    empty.write_text("\n")
    with pytest.raises(PrivacyError, match="empty"):
        load_secret(file=empty)
    short = tmp_path / "short.key"
    short.write_text("abc")
    with pytest.raises(PrivacyError, match="at least 16 bytes"):
        load_secret(file=short)


def test_secret_from_env_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOURNEYS_LINKAGE_SECRET", "an environment secret 42")
    assert load_secret().value == b"an environment secret 42"
    key = tmp_path / "k"
    key.write_bytes(b"a file secret of enough length\n")
    assert load_secret(file=key).value == b"a file secret of enough length"


# -- scanning outputs for identifiers ------------------------------------------------------------
def _identifier_values(ids: pl.DataFrame, schema: EncodingSchema) -> set[str]:
    """Every identifier value, raw and normalised, in the textual forms it could leak in."""
    values: set[str] = set()
    norm = normalise_identities(ids, schema=schema).collect()
    for frame in (ids, norm):
        for column in (*s.IDENTIFIER_COLUMNS, *[f.column for f in schema.fields], s.PERSON_REF):
            if column not in frame.columns:
                continue
            for v in frame[column].drop_nulls().unique().to_list():
                if isinstance(v, dt.date):
                    values |= {v.isoformat(), v.strftime("%Y%m%d"), v.strftime("%d/%m/%Y")}
                else:
                    values.add(str(v))
    return values


def _scan_text(text: str, values: set[str]) -> list[str]:
    """Values found as whole words in ``text``: names and other values with letters from 3
    characters, numbers from 6 digits (shorter numbers cannot be told from counts in logs)."""
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    low = text.lower()
    hits = []
    for v in values:
        lv = v.lower()
        long_enough = len(lv) >= (6 if lv.isdigit() else 3)
        if long_enough and (lv in words or (not lv.isalnum() and lv in low)):
            hits.append(v)
    return hits


def _contains(blob: bytes, values: set[str], min_len: int = 6) -> list[str]:
    """Values of at least ``min_len`` bytes that occur anywhere in ``blob``."""
    windows = {blob[i : i + min_len] for i in range(len(blob) - min_len + 1)}
    return [
        v
        for v in values
        if len(v.encode()) >= min_len and v.encode()[:min_len] in windows and v.encode() in blob
    ]


def _scan_frame(frame: pl.DataFrame, values: set[str]) -> list[str]:
    hits: list[str] = []
    for column in frame.columns:
        series = frame[column]
        if series.dtype == pl.Binary:
            hits += _contains(b"\x00".join(series.drop_nulls().to_list()), values)
        elif series.dtype == pl.String:
            cells = set(series.drop_nulls().to_list())
            hits += [v for v in values if v in cells]
            hits += _contains("\x00".join(cells).encode(), values)
    return hits


def test_no_identifier_in_encodings_crosswalk_logs_or_errors(
    febrl: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    number = pl.col(s.PERSON_REF).str.extract(r"rec-(\d+)-", 1).cast(pl.Int64)
    ids = febrl[0].filter(number < 1000)
    values = _identifier_values(ids, febrl4_schema())
    assert len(values) > 5000
    caplog.set_level(logging.DEBUG, logger="journeys")
    enc = encode_identities(ids, secret=SECRET, schema=febrl4_schema())
    enc_path = write_encodings(enc, tmp_path / "encodings.parquet")
    enc.write_parquet(tmp_path / "plain.parquet", compression="uncompressed")
    result = link_encodings(
        pl.read_parquet(enc_path), settings=LinkageSettings(one_to_one=True, within_agency=False)
    )
    cw_path = tmp_path / "crosswalk.parquet"
    result.crosswalk.write_parquet(cw_path, compression="uncompressed")
    errors: list[str] = []
    for bad in (
        lambda: explain_link(result, ("febrl_a", "rec-1-org"), ("febrl_b", "rec-1-dup-0")),
        lambda: encode_identities(
            ids.drop("surname" if "surname" in ids.columns else "family_name"),
            secret=SECRET,
            schema=febrl4_schema(),
        ),
        lambda: s.validate_encodings(enc.with_columns(pl.lit("x").alias("given_name"))),
    ):
        with pytest.raises(JourneysError) as info:
            bad()
        errors.append(str(info.value))
    assert _scan_frame(pl.read_parquet(enc_path), values) == []
    assert _scan_frame(pl.read_parquet(cw_path), values) == []
    for path in (tmp_path / "plain.parquet", cw_path):
        assert _contains(path.read_bytes(), values) == []
    assert caplog.records, "the library logged nothing to scan"
    assert _scan_text("\n".join(r.getMessage() for r in caplog.records), values) == []
    assert _scan_text("\n".join(errors), values) == []
    # the scan itself works: it finds values in the plaintext table
    assert _scan_frame(ids, values)


# -- keyed encodings -----------------------------------------------------------------------------
def test_two_secrets_give_unlinkable_encodings(febrl: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    ids = febrl[0]
    a = ids.filter(pl.col(s.AGENCY) == "febrl_a")
    b = ids.filter(pl.col(s.AGENCY) == "febrl_b")
    enc_a = encode_identities(a, secret=SECRET, schema=febrl4_schema())
    enc_b_same = encode_identities(b, secret=SECRET, schema=febrl4_schema())
    enc_b_other = encode_identities(b, secret=OTHER_SECRET, schema=febrl4_schema())
    # true pairs by the shared person number in FEBRL's rec ids
    num = lambda df: df[s.PERSON_REF].str.extract(r"rec-(\d+)-", 1).cast(pl.Int64)  # noqa: E731
    ia = pl.DataFrame({"n": num(a), "i": np.arange(a.height)})
    ib = pl.DataFrame({"n": num(b), "j": np.arange(b.height)})
    pairs = ia.join(ib, on="n")
    left, right = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    clk_a = from_binary(enc_a[s.CLK])[0]
    same = dice_pairs(clk_a, from_binary(enc_b_same[s.CLK])[0], left, right)
    other = dice_pairs(clk_a, from_binary(enc_b_other[s.CLK])[0], left, right)
    rng = np.random.default_rng(0)
    rand = dice_pairs(
        clk_a,
        from_binary(enc_b_same[s.CLK])[0],
        rng.integers(0, a.height, 5000),
        rng.integers(0, b.height, 5000),
    )
    assert same.mean() > 0.85
    # true pairs under two secrets are no more alike than random pairs under one secret
    assert float(other.mean()) <= float(rand.mean()) + 0.02
    # no blocking token and no pseudonym is shared across secrets
    both = pl.concat([enc_a, enc_b_other])
    for key in [c for c in both.columns if c.startswith("bk_")]:
        shared = set(enc_a[key].drop_nulls()) & set(enc_b_other[key].drop_nulls())
        assert not shared
    result = link_encodings(
        both,
        settings=LinkageSettings(
            scoring="threshold", threshold=0.8, lsh_bands=20, lsh_bits=20, within_agency=False
        ),
    )
    assert result.crosswalk[s.PERSON_ID].n_unique() > 0.99 * both.height


# -- frequency attack ----------------------------------------------------------------------------
def frequency_attack(filters: pl.Series, truth_values: pl.Series, *, top: int = 20) -> float:
    """Re-identification rate of a frequency attack on whole field filters.

    The attacker knows the frequency ranking of the (normalised) values in the population and
    maps the i-th most frequent filter to the i-th most frequent value. The rate is the share
    of records whose filter is mapped to their true value.
    """
    known = [v for v, _ in Counter(truth_values.drop_nulls().to_list()).most_common(top)]
    seen = [f for f, _ in Counter(filters.drop_nulls().to_list()).most_common(top)]
    guess = dict(zip(seen, known, strict=False))
    hits = sum(
        1
        for f, v in zip(filters.to_list(), truth_values.to_list(), strict=True)
        if f in guess and guess[f] == v
    )
    return hits / len(filters)


def _attack_rates(ids: pl.DataFrame) -> dict[str, float]:
    norm = normalise_identities(ids).collect()
    rates = {}
    options: list[tuple[str, Hardening, bool]] = [
        ("none", "none", False),
        ("balance", "balance", False),
        ("xor_fold", "xor_fold", False),
        ("salted", "none", True),
        ("balance+salted", "balance", True),
    ]
    for label, hardening, salt in options:
        enc = encode_identities(
            ids, secret=SECRET, schema=default_schema(hardening=hardening, salt_names=salt)
        )
        rates[label] = frequency_attack(enc["bf_family_name"], norm[s.FAMILY_NAME])
        rates[f"{label} (clk)"] = frequency_attack(enc[s.CLK], norm[s.FAMILY_NAME])
    return rates


def test_frequency_attack_with_and_without_hardening(
    febrl: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    ids = febrl[0].with_columns(
        pl.col(s.DATE_OF_BIRTH).str.to_date("%Y%m%d", strict=False),
        pl.lit(None, pl.String).alias(s.SEX),
    )
    rates = _attack_rates(ids)
    logger.info("frequency attack re-identification rates: %s", rates)
    # whole-filter frequency attacks succeed on deterministic field filters, whatever the
    # bit-level hardening (balancing and folding keep equal values equal) ...
    assert rates["none"] > 0.05
    assert rates["balance"] == pytest.approx(rates["none"])
    assert rates["xor_fold"] == pytest.approx(rates["none"])
    # ... salting with a stable attribute breaks them, and record-level CLKs resist them
    assert rates["salted"] < rates["none"] / 5
    assert rates["balance+salted"] < rates["none"] / 5
    assert rates["none (clk)"] < 0.01
