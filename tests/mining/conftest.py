"""Fixtures for the mining tests: the real logs read as polars frames and as pm4py oracles."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

from journeys.mining._engine import engine_errors, pm4py_module

SEPSIS_FORMAT = "%Y/%m/%d %H:%M:%S%.3f"
RECEIPT_FORMAT = "%Y-%m-%d %H:%M:%S%.f%:z"
XES_CASE = "case:concept:name"
XES_ACTIVITY = "concept:name"
XES_TIME = "time:timestamp"
XES_KEYS = {"case": XES_CASE, "activity": XES_ACTIVITY, "timestamp": XES_TIME}


@contextmanager
def oracle() -> Iterator[None]:
    """Run a pm4py oracle call: pm4py triggers numpy deprecation warnings, which pytest turns
    into errors (and pm4py's soundness check swallows them and answers "not sound")."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        yield


@pytest.fixture(scope="session")
def pm4py() -> Any:
    """The pm4py module, imported quietly."""
    return pm4py_module()


@pytest.fixture(scope="session")
def sepsis(shared_data: Path) -> pl.DataFrame:
    """sepsis.csv read with polars (semicolon-separated, 'YYYY/MM/DD HH:MM:SS.fff')."""
    frame = pl.read_csv(
        shared_data / "event_logs" / "sepsis.csv", separator=";", infer_schema=False
    )
    return frame.with_columns(pl.col("Complete Timestamp").str.to_datetime(SEPSIS_FORMAT))


@pytest.fixture(scope="session")
def sepsis_pm4py(shared_data: Path, pm4py: Any) -> pd.DataFrame:
    """The same log read and formatted by pandas + pm4py alone (the oracle's input)."""
    # keep_default_na=False: one patient has case id "NA", which pandas would read as missing
    frame = pd.read_csv(
        shared_data / "event_logs" / "sepsis.csv", sep=";", keep_default_na=False, na_values=[""]
    )
    return pm4py.format_dataframe(
        frame,
        case_id="Case ID",
        activity_key="Activity",
        timestamp_key="Complete Timestamp",
        timest_format="%Y/%m/%d %H:%M:%S.%f",
    )


@pytest.fixture(scope="session")
def bpic2012(shared_data: Path, pm4py: Any) -> pd.DataFrame:
    """bpic2012.xes.gz read with pm4py.read_xes (pandas)."""
    with warnings.catch_warnings(), engine_errors("reading bpic2012 in a test fixture"):
        warnings.simplefilter("ignore")  # pm4py suggests an optional faster parser
        log: pd.DataFrame = pm4py.read_xes(str(shared_data / "event_logs" / "bpic2012.xes.gz"))
    return log


@pytest.fixture(scope="session")
def receipt(shared_data: Path) -> pl.DataFrame:
    """receipt.csv read with polars."""
    frame = pl.read_csv(shared_data / "event_logs" / "receipt.csv", infer_schema=False)
    return frame.with_columns(pl.col(XES_TIME).str.to_datetime(RECEIPT_FORMAT))


@pytest.fixture(scope="session")
def receipt_pm4py(shared_data: Path, pm4py: Any) -> pd.DataFrame:
    """receipt.csv read by pandas and formatted by pm4py (the oracle's input)."""
    return pm4py.format_dataframe(pd.read_csv(shared_data / "event_logs" / "receipt.csv"))
