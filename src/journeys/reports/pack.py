"""The workshop pack: one self-contained, offline ``index.html`` plus every table as CSV.

plotly.js is embedded once in the page; each figure is a ``<div>`` drawn by ``Plotly.newPlot``.
A Content-Security-Policy in the page forbids every network request, so the pack behaves the
same on a laptop with no connection. Disclosure control is applied to every published count
before any figure or CSV is made.
"""

from __future__ import annotations

import html
import json
import logging
import math
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import plotly.graph_objects as go
import polars as pl
from plotly.offline import get_plotlyjs

from journeys.disclosure import (
    JOURNEY,
    START_DAY,
    DisclosureRule,
    apply_disclosure,
    deidentify_journeys,
)
from journeys.exceptions import DataError, SourceError
from journeys.reports._checks import require_columns
from journeys.reports.columns import (
    DURATION_HOURS,
    FITNESS,
    FREQUENCY,
    MEASURE,
    OCCURRENCES,
    PEOPLE,
    PERIOD,
    PROCESS_HOURS,
    ROWS_FILTERED,
    ROWS_LOADED,
    ROWS_QUARANTINED,
    ROWS_READ,
    WAIT_HOURS,
    N,
)
from journeys.reports.conformance import fitness_histogram, plot_deviations, plot_fitness
from journeys.reports.journey_map import plot_journey_map
from journeys.reports.loops import plot_loop_counts, plot_loop_examples
from journeys.reports.process_map import plot_handoff_map, plot_process_map
from journeys.reports.quality import (
    match_weight_histogram,
    plot_linkage_quality,
    plot_match_weights,
    plot_quarantine_reasons,
    plot_row_accounting,
)
from journeys.reports.spc import (
    BASELINE,
    LCL,
    MEAN,
    SPECIAL_CAUSE,
    UCL,
    chart_measures,
    plot_measures_summary,
    plot_spc,
    series_title,
    summarise_measures,
)
from journeys.reports.value_stream import plot_value_stream, summarise_value_stream
from journeys.schema import AGENCY, IDENTIFIER_COLUMNS, PATTERN, PERSON_ID, PERSON_REF, VALUE

__all__ = ["SECTIONS", "PackContent", "pack_figures", "write_pack"]

logger = logging.getLogger(__name__)

Frame = pl.DataFrame | pl.LazyFrame

#: Section keys in page order, with their headings.
SECTIONS: Final[dict[str, str]] = {
    "process_map": "As-is process map",
    "handoffs": "Agency hand-off map",
    "value_stream": "Value stream",
    "journeys": "Individual journey maps",
    "loops": "Loops: repeated admissions, duplicate attempts, ping-pong",
    "measures": "Common measures (SPC)",
    "conformance": "Conformance to the to-be model",
    "quality": "Data quality and linkage",
}

_INTRO: Final[dict[str, str]] = {
    "process_map": (
        "What actually happens, discovered from the linked journeys: each box is an activity "
        "coloured by agency, each arrow how often one activity directly follows another. Switch "
        "to Performance for the typical time on each arrow; move the slider to show only the "
        "most frequent paths."
    ),
    "handoffs": "How often people pass from one agency to another, and the typical wait.",
    "value_stream": (
        "For each agency step: process time (work on the person), wait time before it, lead "
        "time (both) and activity ratio (process / lead). Typical (median) values."
    ),
    "journeys": (
        "The most affected people, one timeline each, one lane per agency. No identifiers; "
        "dates are days since the person's first event."
    ),
    "loops": "Loops that hurt, counted by agency, with de-identified examples.",
    "measures": (
        "The common basket of measures as XmR charts: limits from the baseline period, carried "
        "into the review period; orange points are special causes."
    ),
    "conformance": "How well journeys fit the agreed to-be model, and where they deviate.",
    "quality": (
        "Every source row is accounted for: loaded or quarantined with a reason. Linkage: the "
        "distribution of match weights and the estimated linkage quality."
    ),
}

#: Count columns of tables that carry both events and people: a row is suppressed whole when
#: either is small (an edge taken 20 times by 3 people is about 3 people).
_ROW: Final = (FREQUENCY, PEOPLE)
_ROW_DEP: Final = (FREQUENCY, PEOPLE, DURATION_HOURS)
_ACCOUNTING: Final = (ROWS_READ, ROWS_LOADED, ROWS_QUARANTINED, ROWS_FILTERED)
#: Published columns of the measures table (moving ranges would reveal suppressed values).
_MEASURE_COLUMNS: Final = (
    MEASURE,
    AGENCY,
    PERIOD,
    VALUE,
    N,
    "unit",
    BASELINE,
    MEAN,
    LCL,
    UCL,
    SPECIAL_CAUSE,
    "variation",
)

_ABSENT: Final[dict[str, str]] = {
    "conformance": "No to-be model was given, so conformance was not checked.",
    "measures": "No measures were computed for this run.",
    "journeys": "No individual journeys were selected for this run.",
}


@dataclass(frozen=True)
class PackContent:
    """What goes into the workshop pack; every part is optional.

    Tables are polars frames (lazy or eager) with the columns listed; counts are published
    only after :func:`journeys.disclosure.apply_disclosure`. Column names are those of
    :mod:`journeys.schema` and :mod:`journeys.reports.columns`.

    Attributes
    ----------
    title, subtitle
        Page heading and a line under it (e.g. the project name and periods).
    process_edges
        ``from_activity``, ``to_activity`` (null = start / end), ``frequency``,
        optional ``people`` and ``duration_hours`` (see
        :func:`journeys.reports.process_map_tables`).
    process_nodes
        ``activity``, ``agency``, optional ``frequency`` and ``people``.
    handoffs
        ``prev_agency``, ``agency``, ``frequency``, optional ``people`` and
        ``duration_hours`` (see :func:`journeys.reports.build_handoffs`).
    value_stream
        One row per step in order: ``agency``, ``activity``, ``process_hours``,
        ``wait_hours``, optional ``frequency`` and ``people`` (see
        :func:`journeys.reports.build_value_stream`).
    journeys
        Raw journey rows of the people to draw (``person_id``, ``agency``, ``activity``,
        ``start``, optional ``end``, ``service``); they are de-identified here.
    journey_order
        Person ids, most affected first (default: order of appearance). Ids are never published.
    loop_counts
        ``pattern``, ``agency``, ``people``, optional ``occurrences``.
    loop_examples
        Raw journey rows of example loops with a ``pattern`` column (``pattern``,
        ``person_id``, ``agency``, ``activity``, ``start``); de-identified here.
    measures
        The output of :func:`journeys.measures.run_basket` (``measure``, ``agency``,
        ``period``, ``value``, ``n``, ``unit``, ``baseline``, ``mean``, ``lcl``, ``ucl``,
        ``special_cause``, ...) or of ``compute_measures`` (limits are then computed with
        default settings). ``n`` is disclosed; ``value`` and its flags are suppressed
        wherever ``n`` is. An integer ``value`` is a count and is disclosed itself.
    max_spc_charts
        At most this many XmR charts (end-to-end series first).
    max_map_edges
        The process map opens at the largest detail step showing at most this many edges
        (the slider shows them all).
    fitness
        One row per journey: ``fitness`` in [0, 1].
    deviations
        ``agency``, ``activity``, ``deviation``, ``frequency``, optional ``people``.
    row_accounting
        ``source``, ``rows_read``, ``rows_loaded``, ``rows_quarantined``, optional
        ``rows_filtered`` (see :func:`journeys.reports.row_accounting_table`).
    quarantine_reasons
        ``source``, ``reason``, ``frequency`` (aggregated; never the raw quarantine rows:
        see :func:`journeys.reports.summarise_quarantine`).
    match_weights
        A ``match_weight`` column (e.g. the crosswalk); only its histogram is published.
    match_threshold
        The weight above which records were linked, marked on the histogram.
    linkage_quality
        ``metric``, ``value``.
    models
        BPMN / PNML files to copy into ``DIR/models``.
    notes
        Section key -> a note shown in that section (e.g. why it is absent).
    """

    title: str = "Workshop pack"
    subtitle: str = ""
    process_edges: Frame | None = None
    process_nodes: Frame | None = None
    handoffs: Frame | None = None
    value_stream: Frame | None = None
    journeys: Frame | None = None
    journey_order: Sequence[int] | None = None
    loop_counts: Frame | None = None
    loop_examples: Frame | None = None
    measures: Frame | None = None
    fitness: Frame | None = None
    deviations: Frame | None = None
    row_accounting: Frame | None = None
    quarantine_reasons: Frame | None = None
    match_weights: Frame | None = None
    match_threshold: float | None = None
    linkage_quality: Frame | None = None
    models: Sequence[str | Path] = ()
    notes: Mapping[str, str] = field(default_factory=dict)
    max_spc_charts: int = 24
    max_map_edges: int = 30


@dataclass
class _Table:
    name: str
    frame: pl.DataFrame
    counts: tuple[str, ...]
    caption: str


@dataclass
class _Section:
    key: str
    figures: list[go.Figure] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _df(data: Frame) -> pl.DataFrame:
    return data.collect() if isinstance(data, pl.LazyFrame) else data


def _disclosed(
    data: Frame, counts: Sequence[str], rule: DisclosureRule, dependent: Sequence[str] = ()
) -> pl.DataFrame:
    frame = _df(data)
    present = [c for c in counts if c in frame.columns]
    deps = [c for c in dependent if c in frame.columns]
    return apply_disclosure(frame, present, rule=rule, dependent=deps)


def _guard_identifiers(frame: pl.DataFrame, name: str) -> None:
    leaked = [c for c in (*IDENTIFIER_COLUMNS, PERSON_REF) if c in frame.columns]
    if leaked:
        raise DataError(
            f"write_pack: the {name} table has identifier column(s) {leaked}; drop them before "
            "building the pack (nothing downstream of encoding may hold identifiers)."
        )


def _deidentify_examples(examples: pl.DataFrame) -> pl.DataFrame:
    require_columns(examples, (PATTERN, PERSON_ID), "PackContent.loop_examples")
    parts = []
    for pattern in examples.get_column(PATTERN).unique(maintain_order=True).to_list():
        rows = examples.filter(pl.col(PATTERN) == pattern).drop(PATTERN)
        parts.append(deidentify_journeys(rows).with_columns(pl.lit(pattern).alias(PATTERN)))
    return pl.concat(parts, how="vertical").select(PATTERN, pl.exclude(PATTERN))


def _detail(edges: int, most: int) -> int:
    """The largest detail step (10, 20, ... 100 %) that shows at most ``most`` edges."""
    fitting = [p for p in range(10, 101, 10) if math.ceil(edges * p / 100) <= most]
    return max(fitting, default=10)


def _build_sections(content: PackContent, rule: DisclosureRule) -> dict[str, _Section]:
    label = rule.suppressed_label
    out: dict[str, _Section] = {}
    for name in (
        "process_edges",
        "process_nodes",
        "handoffs",
        "value_stream",
        "loop_counts",
        "measures",
        "fitness",
        "deviations",
        "row_accounting",
        "quarantine_reasons",
        "match_weights",
        "linkage_quality",
    ):
        value = getattr(content, name)
        if value is not None:
            _guard_identifiers(_df(value), name)

    if content.process_edges is not None:
        sec = _Section("process_map")
        edges = _disclosed(content.process_edges, _ROW, rule, _ROW_DEP)
        nodes = (
            _disclosed(content.process_nodes, _ROW, rule, _ROW)
            if content.process_nodes is not None
            else None
        )
        sec.figures.append(
            plot_process_map(
                edges,
                nodes=nodes,
                suppressed_label=label,
                detail=_detail(edges.height, content.max_map_edges),
            )
        )
        sec.tables.append(_Table("process_edges", edges, _ROW, "Directly-follows edges"))
        if nodes is not None:
            sec.tables.append(_Table("process_nodes", nodes, _ROW, "Activities"))
        out[sec.key] = sec

    if content.handoffs is not None:
        sec = _Section("handoffs")
        hand = _disclosed(content.handoffs, _ROW, rule, _ROW_DEP)
        sec.figures.append(plot_handoff_map(hand, suppressed_label=label))
        sec.tables.append(_Table("handoffs", hand, _ROW, "Hand-offs between agencies"))
        out[sec.key] = sec

    if content.value_stream is not None:
        sec = _Section("value_stream")
        steps = _disclosed(content.value_stream, _ROW, rule, [*_ROW, PROCESS_HOURS, WAIT_HOURS])
        sec.figures.append(plot_value_stream(steps, suppressed_label=label))
        sec.tables.append(
            _Table("value_stream", summarise_value_stream(steps), _ROW, "Value stream")
        )
        out[sec.key] = sec

    if content.journeys is not None:
        raw = _df(content.journeys)
        deid = deidentify_journeys(raw, order=content.journey_order)
        if deid.height:
            sec = _Section("journeys")
            for number in deid.get_column(JOURNEY).unique(maintain_order=True).to_list():
                sec.figures.append(plot_journey_map(deid, number=number))
            sec.tables.append(_Table("journeys", deid, (), "De-identified journeys"))
            out[sec.key] = sec

    if content.loop_counts is not None or content.loop_examples is not None:
        sec = _Section("loops")
        if content.loop_counts is not None:
            counts = _disclosed(
                content.loop_counts, [PEOPLE, OCCURRENCES], rule, [PEOPLE, OCCURRENCES]
            )
            sec.figures.append(plot_loop_counts(counts, suppressed_label=label))
            sec.tables.append(
                _Table("loop_counts", counts, (PEOPLE, OCCURRENCES), "Loops by agency")
            )
        if content.loop_examples is not None:
            examples = _deidentify_examples(_df(content.loop_examples))
            if examples.height:
                sec.figures.append(plot_loop_examples(examples))
                sec.tables.append(
                    _Table(
                        "loop_examples",
                        examples.sort(PATTERN, JOURNEY, START_DAY),
                        (),
                        "Example loops (de-identified)",
                    )
                )
        out[sec.key] = sec

    if content.measures is not None:
        sec = _Section("measures")
        charted = chart_measures(content.measures)
        value_is_count = charted.schema[VALUE].is_integer()
        counted = [N, VALUE] if value_is_count else [N]
        published = [c for c in _MEASURE_COLUMNS if c in charted.columns]
        measures = _disclosed(
            charted.select(published), counted, rule, [*counted, VALUE, SPECIAL_CAUSE, "variation"]
        )
        sec.figures.append(plot_measures_summary(measures))
        series = measures.select(MEASURE, AGENCY).unique(maintain_order=True)
        end_to_end = series.filter(pl.col(AGENCY).is_null())
        shown = (end_to_end if end_to_end.height else series).head(content.max_spc_charts)
        for measure, agency in shown.rows():
            one = measures.filter(
                (pl.col(MEASURE) == measure)
                & (pl.col(AGENCY).is_null() if agency is None else pl.col(AGENCY) == agency)
            )
            unit = one.get_column("unit")[0] if "unit" in one.columns else None
            sec.figures.append(plot_spc(one, title=series_title(measure, agency, unit)))
        if shown.height < series.height:
            sec.notes.append(
                f"{shown.height} of {series.height} series are charted (the end-to-end ones); "
                "every series is in the summary table and in measures.csv."
            )
        sec.tables.append(_Table("measures", measures, tuple(counted), "Measures by period"))
        sec.tables.append(
            _Table("measures_summary", summarise_measures(measures), (), "Baseline against review")
        )
        out[sec.key] = sec

    if content.fitness is not None or content.deviations is not None or content.models:
        sec = _Section("conformance")
        if content.fitness is not None:
            fit = _df(content.fitness).select(FITNESS)
            sec.figures.append(plot_fitness(fit, rule=rule))
            sec.tables.append(
                _Table(
                    "fitness_bands",
                    fitness_histogram(fit, rule=rule),
                    (FREQUENCY,),
                    "Journeys per fitness band",
                )
            )
        if content.deviations is not None:
            dev = _disclosed(content.deviations, _ROW, rule, _ROW)
            sec.figures.append(plot_deviations(dev, suppressed_label=label))
            sec.tables.append(_Table("deviations", dev, _ROW, "Deviations by agency"))
        out[sec.key] = sec

    quality = (
        content.row_accounting,
        content.quarantine_reasons,
        content.match_weights,
        content.linkage_quality,
    )
    if any(q is not None for q in quality):
        sec = _Section("quality")
        if content.row_accounting is not None:
            acc = _disclosed(content.row_accounting, _ACCOUNTING, rule)
            sec.figures.append(plot_row_accounting(acc, suppressed_label=label))
            sec.tables.append(
                _Table(
                    "row_accounting",
                    acc,
                    _ACCOUNTING,
                    "Row accounting per source",
                )
            )
        if content.quarantine_reasons is not None:
            reasons = _disclosed(content.quarantine_reasons, [FREQUENCY], rule)
            sec.figures.append(plot_quarantine_reasons(reasons, suppressed_label=label))
            sec.tables.append(
                _Table("quarantine_reasons", reasons, (FREQUENCY,), "Quarantine reasons")
            )
        if content.match_weights is not None:
            weights = _df(content.match_weights)
            sec.figures.append(
                plot_match_weights(weights, threshold=content.match_threshold, rule=rule)
            )
            sec.tables.append(
                _Table(
                    "match_weight_bands",
                    match_weight_histogram(weights, rule=rule),
                    (FREQUENCY,),
                    "Match weights per band",
                )
            )
        if content.linkage_quality is not None:
            lq = _df(content.linkage_quality)
            sec.figures.append(plot_linkage_quality(lq))
            sec.tables.append(_Table("linkage_quality", lq, (), "Estimated linkage quality"))
        out[sec.key] = sec
    return out


def pack_figures(
    content: PackContent, *, disclosure: DisclosureRule | None = None
) -> dict[str, list[go.Figure]]:
    """The pack's figures by section key, disclosure applied, without writing anything.

    Examples
    --------
    >>> import polars as pl
    >>> edges = pl.DataFrame({"from_activity": [None], "to_activity": ["Arrival"],
    ...                       "frequency": [12]})
    >>> {k: len(v) for k, v in pack_figures(PackContent(process_edges=edges)).items()}
    {'process_map': 1}
    """
    sections = _build_sections(content, disclosure or DisclosureRule())
    return {key: list(sec.figures) for key, sec in sections.items()}


def _csv_frame(table: _Table, rule: DisclosureRule) -> pl.DataFrame:
    """Suppressed counts shown with the rule's label; other columns as they are."""
    frame = table.frame
    if not rule.enabled:
        return frame
    return frame.with_columns(
        pl.col(c).cast(pl.String).fill_null(rule.suppressed_label)
        for c in table.counts
        if c in frame.columns
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _html_table(frame: pl.DataFrame, *, max_rows: int = 15) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.head(max_rows).iter_rows()
    )
    more = (
        f'<p class="more">{frame.height - max_rows:,} more rows in the CSV file.</p>'
        if frame.height > max_rows
        else ""
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}'


_CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:0;color:#222;
background:#f7f8fa}
header{background:#24405f;color:#fff;padding:18px 32px}
header h1{margin:0 0 4px 0;font-size:26px}
nav{background:#e8eef5;padding:8px 32px;position:sticky;top:0;z-index:10}
nav a{margin-right:14px;color:#24405f;text-decoration:none;font-size:14px}
main{padding:8px 32px 40px 32px;max-width:1400px}
section{background:#fff;border:1px solid #dde3ea;border-radius:6px;margin:18px 0;padding:8px 20px}
section h2{color:#24405f}
.disclosure{background:#fff8e1;border-left:4px solid #e0a800;padding:10px 16px;margin:16px 0}
.absent{color:#666;font-style:italic}
.note{color:#444}
.figure{margin:10px 0 18px 0}
table.data{border-collapse:collapse;font-size:12px;margin:6px 0}
table.data th,table.data td{border:1px solid #dde3ea;padding:3px 8px;text-align:left}
table.data th{background:#e8eef5}
details{margin:8px 0}
.more{font-size:12px;color:#666}
"""

_CSP: Final = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'"
)


def _figure_html(fig: go.Figure, div_id: str) -> str:
    body: str = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )
    return f'<div class="figure">{body}</div>'


def _remove_stale(out: Path, written: set[str]) -> None:
    """Delete tables and models left by an earlier run that this run did not write."""
    for folder, pattern in (("tables", "*.csv"), ("models", "*")):
        for path in (out / folder).glob(pattern):
            if path.is_file() and f"{folder}/{path.name}" not in written:
                logger.info("removing stale pack file %s", path)
                path.unlink()


def write_pack(
    content: PackContent,
    out_dir: str | Path,
    *,
    disclosure: DisclosureRule | None = None,
) -> Path:
    """Write the workshop pack to ``out_dir``: ``index.html``, ``tables/*.csv``, ``models/``.

    Parameters
    ----------
    content
        The tables and models to publish (see :class:`PackContent`); absent parts give a
        note in their section instead.
    out_dir
        Folder to write into (created if needed). Existing pack files are overwritten.
    disclosure
        The disclosure rule; default :class:`~journeys.disclosure.DisclosureRule` ``()``
        (suppress 1..7, round to 5). The rule is stated at the top of the page.

    Returns
    -------
    Path
        The path of ``index.html``. ``pack.json`` beside it lists the sections, the number
        of figures in each, and the files written.

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> edges = pl.DataFrame({"from_activity": [None], "to_activity": ["Arrival"],
    ...                       "frequency": [12]})
    >>> page = write_pack(PackContent(process_edges=edges), tempfile.mkdtemp())
    >>> page.name, (page.parent / "tables" / "process_edges.csv").exists()
    ('index.html', True)
    """
    rule = disclosure or DisclosureRule()
    out = Path(out_dir)
    sections = _build_sections(content, rule)
    tables_dir = out / "tables"
    models_dir = out / "models"
    tables_dir.mkdir(parents=True, exist_ok=True)
    copied: list[str] = []
    for model in content.models:
        src = Path(model)
        if not src.is_file():
            raise SourceError(
                f"write_pack: model file '{src}' was not found; pass an existing BPMN or PNML file"
            )
        models_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, models_dir / src.name)
        copied.append(f"models/{src.name}")
    if copied:
        conf = sections.setdefault("conformance", _Section("conformance"))
        conf.links.extend((name, name) for name in copied)

    listing: dict[str, dict[str, object]] = {}
    written_all: set[str] = set(copied)
    parts: list[str] = []
    figure_total = 0
    for key, heading in SECTIONS.items():
        sec = sections.get(key)
        note = content.notes.get(key)
        parts.append(f'<section id="{key}"><h2>{html.escape(heading)}</h2>')
        if sec is None or (not sec.figures and not sec.tables and not sec.links):
            reason = note or _ABSENT.get(key, "No data for this section was given for this run.")
            parts.append(f'<p class="absent">{html.escape(reason)}</p></section>')
            listing[key] = {"present": False, "figures": 0, "tables": []}
            continue
        parts.append(f"<p>{html.escape(_INTRO[key])}</p>")
        texts = [note, *sec.notes] if note else sec.notes
        parts.extend(f'<p class="note">{html.escape(text)}</p>' for text in texts)
        parts.extend(_figure_html(fig, f"fig-{key}-{i + 1}") for i, fig in enumerate(sec.figures))
        written = []
        for table in sec.tables:
            csv = _csv_frame(table, rule)
            path = tables_dir / f"{table.name}.csv"
            csv.write_csv(path)
            written.append(f"tables/{table.name}.csv")
            parts.append(
                f"<details><summary>{html.escape(table.caption)} "
                f'(<a href="tables/{table.name}.csv">{table.name}.csv</a>, '
                f"{csv.height:,} rows)</summary>{_html_table(csv)}</details>"
            )
        if sec.links:
            items = "".join(
                f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>'
                for text, href in sec.links
            )
            parts.append(f"<p>Models:</p><ul>{items}</ul>")
        parts.append("</section>")
        figure_total += len(sec.figures)
        written_all.update(written)
        listing[key] = {
            "present": True,
            "figures": len(sec.figures),
            "tables": written,
        }
    manifest = {
        "disclosure": rule.to_dict(),
        "sections": listing,
        "figures": figure_total,
        "models": copied,
    }
    _remove_stale(out, written_all)
    nav = "".join(f'<a href="#{k}">{html.escape(v)}</a>' for k, v in SECTIONS.items())
    subtitle = f"<p>{html.escape(content.subtitle)}</p>" if content.subtitle else ""
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(content.title)}</title><style>{_CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>{html.escape(content.title)}</h1>{subtitle}</header>"
        f"<nav>{nav}</nav><main>"
        f'<div class="disclosure" id="disclosure"><strong>Disclosure control.</strong> '
        f"{html.escape(rule.describe())}</div>" + "".join(parts) + "</main></body></html>\n"
    )
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    (out / "pack.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    logger.info("workshop pack written to %s (%d figures)", index, figure_total)
    return index
