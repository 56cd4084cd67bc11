"""Why two records were linked: field-level similarities and match weights, no plaintext."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from journeys import schema as s
from journeys.exceptions import LinkageError
from journeys.linkage.link import LEFT, RIGHT, SIM_PREFIX, LinkageResult
from journeys.linkage.model import levels

__all__ = ["explain_link", "plot_link_waterfall"]

FIELD = "field"
SIMILARITY = "similarity"
LEVEL = "level"
WEIGHT = "weight"


def _pair_row(result: LinkageResult, a: tuple[str, str], b: tuple[str, str]) -> dict[str, object]:
    idx = result.records.with_row_index("i")

    def index_of(key: tuple[str, str]) -> int:
        hit = idx.filter((pl.col(s.AGENCY) == key[0]) & (pl.col(s.PERSON_REF) == key[1]))
        if hit.height == 0:
            raise LinkageError(
                f"explain_link: no record of agency '{key[0]}' has the given person_ref in the "
                f"linkage result; pass the pseudonymised person_ref from the crosswalk (the "
                f"value itself is not repeated here, in case it is an identifier)"
            )
        return int(hit["i"][0])

    i, j = sorted((index_of(a), index_of(b)))
    row = result.pairs.filter((pl.col(LEFT) == i) & (pl.col(RIGHT) == j))
    if row.height == 0:
        raise LinkageError(
            f"explain_link: the two records (agencies '{a[0]}' and '{b[0]}') were never "
            f"compared (blocking did not pair them); add a blocking key they share"
        )
    return row.row(0, named=True)


def explain_link(result: LinkageResult, a: tuple[str, str], b: tuple[str, str]) -> pl.DataFrame:
    """One row per field (similarity, band, m, u, weight), then the prior and the total.

    ``a`` and ``b`` are ``(agency, person_ref)`` as in the crosswalk.
    """
    model = result.model
    if model is None:
        raise LinkageError("explain_link needs a Fellegi-Sunter result (scoring='fellegi_sunter')")
    row = _pair_row(result, a, b)
    names = [f">= {x}" for x in model.bands] + [f"< {model.bands[-1]}"]
    rows: list[dict[str, object]] = [
        {
            FIELD: "prior",
            SIMILARITY: None,
            LEVEL: "prior odds",
            "m": None,
            "u": None,
            WEIGHT: model.prior_weight,
        }
    ]
    for f, name in enumerate(model.fields):
        raw = row[SIM_PREFIX + name]
        sim = float(raw) if isinstance(raw, int | float) else float("nan")
        lv = int(levels(np.array([sim], dtype=np.float32), model.bands)[0])
        if lv < 0:
            rows.append(
                {FIELD: name, SIMILARITY: None, LEVEL: "missing", "m": None, "u": None, WEIGHT: 0.0}
            )
            continue
        m, u = float(model.m_[f, lv]), float(model.u_[f, lv])
        rows.append(
            {
                FIELD: name,
                SIMILARITY: sim,
                LEVEL: names[lv],
                "m": m,
                "u": u,
                WEIGHT: float(np.log2(m / u)),
            }
        )
    total = float(sum(w for r in rows if isinstance(w := r[WEIGHT], float)))
    rows.append(
        {
            FIELD: "total",
            SIMILARITY: None,
            LEVEL: "match weight",
            "m": None,
            "u": None,
            WEIGHT: total,
        }
    )
    return pl.DataFrame(
        rows,
        schema={
            FIELD: pl.String,
            SIMILARITY: pl.Float64,
            LEVEL: pl.String,
            "m": pl.Float64,
            "u": pl.Float64,
            WEIGHT: pl.Float64,
        },
    )


def plot_link_waterfall(
    explanation: pl.DataFrame, *, title: str = "Why these records link"
) -> go.Figure:
    """A waterfall of match weights from :func:`explain_link` (no I/O)."""
    body = explanation.filter(pl.col(FIELD) != "total")
    labels = [f"{f} ({lv})" for f, lv in zip(body[FIELD], body[LEVEL], strict=True)]
    figure = go.Figure(
        go.Waterfall(
            x=[*labels, "match weight"],
            y=[*body[WEIGHT].to_list(), None],
            measure=["relative"] * body.height + ["total"],
            orientation="v",
        )
    )
    figure.update_layout(title=title, yaxis_title="log2 Bayes factor", showlegend=False)
    return figure
