"""Hand-made input tables in the shapes of the report contracts (see journeys.reports.columns)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from journeys.reports import PackContent
from journeys.reports.columns import (
    DEVIATION,
    DURATION_HOURS,
    FITNESS,
    FREQUENCY,
    FROM_ACTIVITY,
    METRIC,
    OCCURRENCES,
    PEOPLE,
    PERIOD,
    PROCESS_HOURS,
    ROWS_LOADED,
    ROWS_QUARANTINED,
    ROWS_READ,
    TO_ACTIVITY,
    WAIT_HOURS,
    N,
)
from journeys.schema import (
    ACTIVITY,
    AGENCY,
    DATE_OF_BIRTH,
    END,
    EVENT_ID,
    FAMILY_NAME,
    GIVEN_NAME,
    MATCH_WEIGHT,
    NATIONAL_ID,
    PATTERN,
    PERSON_ID,
    PERSON_REF,
    POSTCODE,
    PREV_AGENCY,
    REASON,
    RESOURCE,
    SERVICE,
    SEX,
    SOURCE,
    START,
    TIMESTAMP,
    VALUE,
)
from journeys.spc import SpcSettings, control_limits

T0 = dt.datetime(2025, 2, 3, 8, 30, tzinfo=dt.UTC)


def edges() -> pl.DataFrame:
    return pl.DataFrame(
        {
            FROM_ACTIVITY: [
                None,
                None,
                "Arrival",
                "Triage",
                "Emergency admission",
                "Discharge",
                "Discharge",
                "Assessment",
                "Care package",
                "Arrival",
                "Detention",
                "Triage",
            ],
            TO_ACTIVITY: [
                "Arrival",
                "Detention",
                "Triage",
                "Emergency admission",
                "Discharge",
                "Assessment",
                "Arrival",
                "Care package",
                None,
                None,
                "Arrival",
                "Triage",
            ],
            FREQUENCY: [120, 30, 118, 64, 64, 40, 22, 33, 33, 6, 28, 3],
            DURATION_HOURS: [None, None, 0.6, 3.5, 120.0, 30.0, 400.0, 200.0, None, None, 2.0, 0.2],
        }
    )


def nodes() -> pl.DataFrame:
    return pl.DataFrame(
        {
            ACTIVITY: [
                "Arrival",
                "Triage",
                "Emergency admission",
                "Discharge",
                "Assessment",
                "Care package",
                "Detention",
            ],
            AGENCY: ["ae", "ae", "acute", "acute", "asc", "asc", "police"],
            FREQUENCY: [150, 121, 64, 64, 40, 33, 30],
        }
    )


def handoffs() -> pl.DataFrame:
    return pl.DataFrame(
        {
            PREV_AGENCY: ["ae", "acute", "asc", "acute", "police", "ae", "ae", "probation"],
            AGENCY: ["acute", "asc", "ae", "ae", "ae", "police", "ae", "haven_housing"],
            FREQUENCY: [64, 40, 22, 9, 28, 5, 300, 12],
            DURATION_HOURS: [3.5, 30.0, 400.0, 200.0, 2.0, 1.0, 0.5, 96.0],
        }
    )


def value_stream() -> pl.DataFrame:
    return pl.DataFrame(
        {
            AGENCY: ["ae", "acute", "asc", "gp"],
            ACTIVITY: ["Triage", "Emergency admission", "Assessment", "Review"],
            FREQUENCY: [121, 64, 40, 4],
            PROCESS_HOURS: [0.5, 96.0, 2.0, 0.25],
            WAIT_HOURS: [1.5, 4.0, 48.0, 120.0],
        }
    )


def _ts(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def identities() -> pl.DataFrame:
    """Identities of the fixture people (never passed to the pack)."""
    return pl.DataFrame(
        {
            AGENCY: ["ae", "acute", "asc", "police", "ae", "probation", "haven_housing"],
            PERSON_REF: [
                "AE-4471902",
                "ACU-881273",
                "ASC-0091234",
                "PD-7781212",
                "AE-4471999",
                "PRB-556677",
                "HH-0031337",
            ],
            GIVEN_NAME: ["Margery", "Margery", "Margery", "Desmond", "Desmond", "Kit", "Kit"],
            FAMILY_NAME: [
                "Pennywhistle",
                "Pennywhistle",
                "Pennywhistle",
                "Oyelaran",
                "Oyelaran",
                "Harrowgate",
                "Harrowgate",
            ],
            DATE_OF_BIRTH: [dt.date(1931, 5, 17)] * 3
            + [dt.date(1988, 11, 2)] * 2
            + [dt.date(1979, 1, 30)] * 2,
            SEX: ["F", "F", "F", "M", "M", "M", "M"],
            POSTCODE: ["LS6 2QT", "LS6 2QT", "LS62QT", "BD7 1DP", "BD7 1DP", "HX1 5AX", "HX1 5AX"],
            NATIONAL_ID: ["485 777 3456", None, None, "943 476 5919", None, None, None],
        },
        schema_overrides={DATE_OF_BIRTH: pl.Date},
    )


def journeys() -> pl.DataFrame:
    rows = [
        # person 11: revolving door
        (11, "ae", "AE-4471902", "Arrival", "emergency_care", 0.0, None),
        (11, "acute", "ACU-881273", "Emergency admission", "inpatient", 4.0, 100.0),
        (11, "acute", "ACU-881273", "Discharge", "inpatient", 100.0, None),
        (11, "asc", "ASC-0091234", "Assessment", "social_care", 130.0, 132.0),
        (11, "ae", "AE-4471902", "Arrival", "emergency_care", 400.0, None),
        (11, "acute", "ACU-881273", "Emergency admission", "inpatient", 405.0, 520.0),
        (11, "acute", "ACU-881273", "Discharge", "inpatient", 520.0, None),
        # person 12: ping-pong
        (12, "police", "PD-7781212", "Detention", "police", 0.0, 3.0),
        (12, "ae", "AE-4471999", "Arrival", "emergency_care", 3.5, None),
        (12, "police", "PD-7781212", "Detention", "police", 20.0, 26.0),
        (12, "ae", "AE-4471999", "Arrival", "emergency_care", 27.0, None),
        # person 13: housing
        (13, "probation", "PRB-556677", "Release", "probation", 0.0, None),
        (13, "haven_housing", "HH-0031337", "Housing referral", "housing", 24.0, 600.0),
    ]
    return pl.DataFrame(
        {
            PERSON_ID: [r[0] for r in rows],
            AGENCY: [r[1] for r in rows],
            PERSON_REF: [r[2] for r in rows],
            EVENT_ID: [f"ev-{i:04d}" for i in range(len(rows))],
            ACTIVITY: [r[3] for r in rows],
            SERVICE: [r[4] for r in rows],
            START: [_ts(r[5]) for r in rows],
            END: [None if r[6] is None else _ts(r[6]) for r in rows],
            RESOURCE: ["Dr Pennywhistle"] + [None] * (len(rows) - 1),
        },
        schema_overrides={START: TIMESTAMP, END: TIMESTAMP},
    )


def loop_counts() -> pl.DataFrame:
    return pl.DataFrame(
        {
            PATTERN: [
                "revolving_door",
                "revolving_door",
                "ping_pong",
                "ping_pong",
                "duplicate_housing",
                "duplicate_housing",
            ],
            AGENCY: ["acute", "ae", "police", "ae", "haven_housing", "open_door"],
            PEOPLE: [23, 19, 12, 12, 3, 9],
            OCCURRENCES: [140, 77, 31, 31, 4, 10],
        }
    )


def loop_examples() -> pl.DataFrame:
    j = journeys()
    ping = j.filter(pl.col(PERSON_ID) == 12).with_columns(pl.lit("ping_pong").alias(PATTERN))
    door = j.filter(
        (pl.col(PERSON_ID) == 11) & (pl.col(ACTIVITY) == "Emergency admission")
    ).with_columns(pl.lit("revolving_door").alias(PATTERN))
    return pl.concat([ping, door])


def measures_raw() -> pl.DataFrame:
    """Two end-to-end series and one agency series, in compute_measures' shape."""
    weeks = [dt.datetime(2025, 1, 6, tzinfo=dt.UTC) + dt.timedelta(weeks=i) for i in range(24)]
    waits = [
        30.0,
        34.0,
        29.0,
        31.0,
        36.0,
        28.0,
        33.0,
        30.0,
        32.0,
        35.0,
        29.0,
        31.0,
        24.0,
        23.0,
        22.0,
        25.0,
        21.0,
        24.0,
        22.0,
        20.0,
        23.0,
        22.0,
        21.0,
        19.0,
    ]
    rates = [
        0.20,
        0.22,
        0.19,
        0.21,
        0.18,
        0.23,
        0.2,
        0.21,
        0.22,
        0.19,
        0.2,
        0.21,
        0.2,
        0.19,
        0.18,
        0.2,
        0.17,
        0.18,
        0.45,
        0.16,
        0.17,
        0.15,
        0.16,
        0.15,
    ]
    n = [40 + i for i in range(24)]
    n[5] = 4  # a week resting on 4 people: suppressed

    def series(measure: str, agency: str | None, values: list[float], unit: str) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "measure": measure,
                "kind": "lead_time",
                AGENCY: agency,
                PERIOD: weeks,
                VALUE: values,
                N: n,
                "unit": unit,
            },
            schema_overrides={AGENCY: pl.String, N: pl.UInt32, PERIOD: TIMESTAMP},
        )

    return pl.concat(
        [
            series("time to social care", None, waits, "hours"),
            series("readmission rate", None, rates, "rate"),
            series("readmission rate", "acute", rates, "rate"),
        ]
    )


def measures() -> pl.DataFrame:
    """The measures with XmR limits, baseline before April 2025 (run_basket's shape)."""
    return control_limits(measures_raw(), settings=SpcSettings(baseline_end="2025-03-31")).collect()


def fitness() -> pl.DataFrame:
    values = [1.0] * 60 + [0.95] * 25 + [0.8] * 14 + [0.55] * 9 + [0.3] * 3
    return pl.DataFrame({FITNESS: values})


def deviations() -> pl.DataFrame:
    return pl.DataFrame(
        {
            AGENCY: ["asc", "acute", "ae", "gp", "police"],
            ACTIVITY: ["Assessment", "Discharge", "Triage", "Review", "Detention"],
            DEVIATION: ["skipped", "inserted", "inserted", "skipped", "inserted"],
            FREQUENCY: [41, 17, 12, 5, 30],
        }
    )


def row_accounting() -> pl.DataFrame:
    return pl.DataFrame(
        {
            SOURCE: ["ae_extract.csv", "acute.xlsx", "asc (PostgreSQL)", "police.csv"],
            ROWS_READ: [5210, 1830, 940, 612],
            ROWS_LOADED: [5188, 1830, 936, 600],
            ROWS_QUARANTINED: [22, 0, 4, 12],
        }
    )


def quarantine_reasons() -> pl.DataFrame:
    return pl.DataFrame(
        {
            SOURCE: ["ae_extract.csv", "ae_extract.csv", "asc (PostgreSQL)", "police.csv"],
            REASON: ["unparseable date", "end before start", "unknown service", "missing id"],
            FREQUENCY: [15, 7, 4, 12],
        }
    )


def match_weights() -> pl.DataFrame:
    lows = [float(-8 + (i % 50) / 10) for i in range(300)]
    highs = [float(8 + (i % 80) / 10) for i in range(900)]
    return pl.DataFrame({MATCH_WEIGHT: lows + highs})


def linkage_quality() -> pl.DataFrame:
    return pl.DataFrame(
        {
            METRIC: ["precision (estimated)", "recall (estimated)", "records linked"],
            VALUE: ["0.991", "0.962", "8,420"],
        }
    )


def full_content(models: tuple[Path, ...] = ()) -> PackContent:
    """Every section filled."""
    return PackContent(
        title="Workshop pack: fixture",
        subtitle="Hand-made tables",
        process_edges=edges(),
        process_nodes=nodes(),
        handoffs=handoffs(),
        value_stream=value_stream(),
        journeys=journeys(),
        journey_order=[11, 12, 13],
        loop_counts=loop_counts(),
        loop_examples=loop_examples(),
        measures=measures(),
        fitness=fitness(),
        deviations=deviations(),
        row_accounting=row_accounting(),
        quarantine_reasons=quarantine_reasons(),
        match_weights=match_weights(),
        match_threshold=6.0,
        linkage_quality=linkage_quality(),
        models=models,
    )


#: Figures in the full pack: process 1, hand-offs 1, value stream 1, journeys 3, loops 2,
#: measures 1 summary + 2 SPC, conformance 2, quality 4.
FULL_FIGURES = 17
