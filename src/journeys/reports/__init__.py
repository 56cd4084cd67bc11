"""Figures (plotly, no I/O) and the offline workshop pack.

Every builder takes a small table whose columns are listed in its docstring (names from
:mod:`journeys.schema` and :mod:`journeys.reports.columns`) and returns a
``plotly.graph_objects.Figure``. :func:`write_pack` applies disclosure control and writes the
self-contained ``index.html`` with every table as CSV. :func:`scan_for_identifiers` checks an
output folder for identifiers from an identities table.
"""

from journeys.reports.conformance import fitness_histogram, plot_deviations, plot_fitness
from journeys.reports.journey_map import plot_journey_map
from journeys.reports.loops import plot_loop_counts, plot_loop_examples
from journeys.reports.pack import SECTIONS, PackContent, pack_figures, write_pack
from journeys.reports.privacy import Finding, scan_for_identifiers
from journeys.reports.process_map import plot_handoff_map, plot_process_map
from journeys.reports.quality import (
    match_weight_histogram,
    plot_linkage_quality,
    plot_match_weights,
    plot_quarantine_reasons,
    plot_row_accounting,
)
from journeys.reports.spc import (
    chart_measures,
    plot_measures_summary,
    plot_spc,
    summarise_measures,
)
from journeys.reports.tables import (
    build_handoffs,
    build_value_stream,
    deviation_table,
    loop_example_rows,
    process_map_tables,
    row_accounting_table,
    select_journeys,
    summarise_quarantine,
)
from journeys.reports.value_stream import plot_value_stream, summarise_value_stream

__all__ = [
    "SECTIONS",
    "Finding",
    "PackContent",
    "build_handoffs",
    "build_value_stream",
    "chart_measures",
    "deviation_table",
    "fitness_histogram",
    "loop_example_rows",
    "match_weight_histogram",
    "pack_figures",
    "plot_deviations",
    "plot_fitness",
    "plot_handoff_map",
    "plot_journey_map",
    "plot_linkage_quality",
    "plot_loop_counts",
    "plot_loop_examples",
    "plot_match_weights",
    "plot_measures_summary",
    "plot_process_map",
    "plot_quarantine_reasons",
    "plot_row_accounting",
    "plot_spc",
    "plot_value_stream",
    "process_map_tables",
    "row_accounting_table",
    "scan_for_identifiers",
    "select_journeys",
    "summarise_measures",
    "summarise_quarantine",
    "summarise_value_stream",
    "write_pack",
]
