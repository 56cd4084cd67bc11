"""The project file: a valid file loads, and every problem of a bad one is reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.config import load_project, starter_project
from journeys.exceptions import ConfigError


def test_starter_project_is_valid_once_its_mapping_exists(tmp_path: Path) -> None:
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "my-agency.yaml").write_text("agency: x\n")
    path = tmp_path / "project.toml"
    path.write_text(starter_project("Frailty review"))
    project = load_project(path)
    assert project.name == "Frailty review"
    assert project.sources == ((tmp_path / "adapters" / "my-agency.yaml").resolve(),)
    assert project.linkage.mode == "encoded"
    assert project.linkage.secret_env == "JOURNEYS_LINKAGE_SECRET"
    assert project.report.suppress_max == 7
    assert project.private_dir == (tmp_path / ".journeys-private").resolve()
    assert len(project.settings_hash()) == 16


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "project.toml"
    path.write_text(
        """
[project]
nmae = "typo"

[[sources]]
mapping = "missing.yaml"

[linkage]
mode = "guess"
secret = "hunter2"

[conformance]
method = "magic"
model = "to_be.bpmn"

[periods]
baseline = ["2025-03-01", "2025-01-01"]

[report]
suppress_max = -1

[colour]
x = 1
"""
    )
    with pytest.raises(ConfigError) as info:
        load_project(path)
    text = str(info.value)
    for expected in (
        "unknown key 'nmae'. Did you mean 'name'?",
        "'missing.yaml' does not exist",
        "mode must be 'encoded' or 'plaintext'",
        "a secret must not be written in the project file",
        "method must be 'token_replay' or 'alignments'",
        "'to_be.bpmn' does not exist",
        "baseline ends before it starts",
        "suppress_max must be an integer >= 0",
        "unknown key 'colour'",
    ):
        assert expected in text, expected
    assert len(info.value.problems) == 9
    assert "hunter2" not in text


def test_sub_settings_are_validated_by_their_owners(tmp_path: Path) -> None:
    path = tmp_path / "project.toml"
    path.write_text('[journeys]\nepisode_gap = "-3d"\n\n[patterns.ping_pong]\nwindow = "soon"\n')
    with pytest.raises(ConfigError) as info:
        load_project(path)
    text = str(info.value)
    assert "[journeys]" in text
    assert "[patterns]" in text


def test_missing_and_broken_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="journeys init"):
        load_project(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[project\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_project(bad)
