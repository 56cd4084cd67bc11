"""The batch run: a project file in, the workshop pack and every stage's tables out.

``reconstruct`` runs ingest -> encode -> link -> journeys -> detectors -> discovery ->
conformance (when a to-be model is given) -> measures -> report. Each stage is reused when its
inputs and settings have not changed (see :mod:`journeys._cache`). The run writes
``DIR/run.json`` (counts, timings, versions, settings hash) and ``DIR/run.log``.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

from journeys import __version__
from journeys import _stages as st
from journeys._cache import StageRecord, run_cached
from journeys.config import Project, load_project
from journeys.exceptions import PrivacyError

__all__ = ["STAGES", "RunSummary", "reconstruct"]

logger = logging.getLogger(__name__)

#: The stages in run order.
STAGES: Final = (
    "ingest",
    "encode",
    "link",
    "journeys",
    "patterns",
    "discovery",
    "conformance",
    "measures",
    "report",
)


@dataclass(frozen=True)
class RunSummary:
    """What a run did: per-stage records, where the pack is, and what produced it."""

    project: str
    out: Path
    page: Path
    stages: tuple[StageRecord, ...]
    settings_hash: str
    versions: dict[str, str]

    @property
    def seconds(self) -> float:
        """Total time of the stages."""
        return sum(r.seconds for r in self.stages)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as written to ``run.json``."""
        return {
            "project": self.project,
            "out": str(self.out),
            "page": str(self.page),
            "settings_hash": self.settings_hash,
            "versions": self.versions,
            "seconds": round(self.seconds, 3),
            "stages": [asdict(r) for r in self.stages],
        }


def _versions() -> dict[str, str]:
    out = {"journeys": __version__, "python": platform.python_version()}
    for name in ("polars", "numpy", "pm4py", "plotly", "pandas"):
        out[name] = version(name)
    return out


def _stage_plan(ctx: st.StageContext) -> list[tuple[str, list[Path], Any, list[Path], Any, bool]]:
    """(name, inputs, settings, outputs, function, cacheable) for every stage that runs."""
    p, project = ctx.paths, ctx.project
    settings = project.as_dict()
    sources, sources_cacheable = st.source_files(project)
    private = [p.private_file(n) for n in ("identities.parquet", "events.parquet")]
    data = p.data_file
    schema_file = [project.linkage.schema] if project.linkage.schema else []
    link_inputs = [
        p.private_file(
            "encodings.parquet" if project.linkage.mode == "encoded" else "identities.parquet"
        ),
        *schema_file,
    ]
    journeys = [data("journeys.parquet")]
    plan: list[tuple[str, list[Path], Any, list[Path], Any, bool]] = [
        (
            "ingest",
            sources,
            None,
            [*private, data("accounting.parquet")],
            st.run_ingest,
            sources_cacheable,
        ),
        (
            "encode",
            [*private, *schema_file],
            {"linkage": settings["linkage"], "secret": ctx.secret_fingerprint()},
            [data("events.parquet")],
            st.run_encode,
            True,
        ),
        (
            "link",
            link_inputs,
            {"linkage": settings["linkage"], "secret": ctx.secret_fingerprint()},
            [data("crosswalk.parquet")],
            st.run_link,
            True,
        ),
        (
            "journeys",
            [data("events.parquet"), data("crosswalk.parquet")],
            project.journeys,
            journeys,
            st.run_journeys,
            True,
        ),
        (
            "patterns",
            journeys,
            project.patterns,
            [data("occurrences.parquet")],
            st.run_patterns,
            True,
        ),
        ("discovery", journeys, None, [data("process_edges.parquet")], st.run_discovery, True),
    ]
    if project.conformance.model is not None:
        plan.append(
            (
                "conformance",
                [*journeys, project.conformance.model],
                settings["conformance"],
                [data("conformance.parquet")],
                st.run_conformance,
                True,
            )
        )
    plan.append(
        ("measures", journeys, project.measures, [data("measures.parquet")], st.run_measures, True)
    )
    report_inputs = sorted(
        {path for _, _, _, outs, _, _ in plan for path in outs} | set(journeys), key=str
    )
    plan.append(
        (
            "report",
            report_inputs,
            {key: settings[key] for key in ("report", "name", "periods", "conformance")},
            [p.out / "index.html"],
            st.run_report,
            True,
        )
    )
    return plan


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _check_boundary(project: Project, out: Path) -> None:
    """The private folder (plaintext identities, the secret) and the output folder must not
    overlap: the output folder is what gets published."""
    private = project.private_dir
    problems = []
    if _inside(private, out) or _inside(out, private):
        problems.append(f"the private folder {private} and the output folder {out} overlap")
    secret = project.linkage.secret_file
    if secret is not None and _inside(secret, out):
        problems.append(f"the secret file {secret} is inside the output folder {out}")
    if problems:
        raise PrivacyError(
            "; ".join(problems) + ". Choose an output folder outside the project's private "
            "folder ([project] private_dir) and away from the secret file."
        )


def reconstruct(
    project: Project | str | Path,
    *,
    out: str | Path,
    on_stage: Callable[[StageRecord], None] | None = None,
) -> RunSummary:
    """Run the whole reconstruction described by ``project`` into ``out``.

    Parameters
    ----------
    project
        A :class:`~journeys.config.Project` or the path of a project file.
    out
        The output folder: the workshop pack (``index.html``, ``tables/``, ``models/``), the
        stage tables (``data/*.parquet``), ``run.json`` and ``run.log``. Plaintext identities
        never go here; they stay in the project's private folder.
    on_stage
        Called with each stage's record as it finishes (the CLI's progress bar).

    Returns
    -------
    RunSummary
        Counts and timings per stage; also written to ``out/run.json``.
    """
    from journeys.linkage import load_secret

    if not isinstance(project, Project):
        project = load_project(project)
    out = Path(out).resolve()
    _check_boundary(project, out)
    paths = st.Paths(out=out, private=project.private_dir)
    for folder in (out, paths.data, paths.private):
        folder.mkdir(parents=True, exist_ok=True)
    secret = load_secret(env=project.linkage.secret_env, file=project.linkage.secret_file)
    ctx = st.StageContext(project=project, paths=paths, secret=secret)
    handler = logging.FileHandler(out / "run.log", mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("journeys")
    previous_level = root.level
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    records: list[StageRecord] = []
    try:
        logger.info("reconstruct %s into %s", project.name, out)
        for name, inputs, settings, outputs, function, cacheable in _stage_plan(ctx):
            record = run_cached(
                name,
                cache_dir=out / ".cache",
                inputs=inputs,
                settings=settings,
                outputs=outputs,
                run=partial(function, ctx),
                clock=time.perf_counter,
                cacheable=cacheable,
            )
            records.append(record)
            if on_stage is not None:
                on_stage(record)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        handler.close()
    summary = RunSummary(
        project=project.name,
        out=out,
        page=out / "index.html",
        stages=tuple(records),
        settings_hash=project.settings_hash(),
        versions=_versions(),
    )
    (out / "run.json").write_text(json.dumps(summary.to_dict(), indent=2, default=str) + "\n")
    return summary
