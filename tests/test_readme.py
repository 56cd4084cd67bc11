"""The README's examples run: every ``python`` block executes, every ``journeys`` line parses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from journeys.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in _BLOCK.findall(README.read_text()) if lang == language]


@pytest.mark.parametrize("code", _blocks("python"))
def test_python_examples_run(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "examples").symlink_to(README.parent / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JOURNEYS_LINKAGE_SECRET", "a test secret, not a default")
    exec(compile(code, str(README), "exec"), {})


def test_cli_examples_parse() -> None:
    parser = build_parser()
    lines = [
        line.split("#")[0].strip()
        for block in _blocks("bash")
        for line in block.splitlines()
        if line.strip().startswith("journeys ")
    ]
    assert lines, "the README shows no journeys command"
    for line in lines:
        args = parser.parse_args(shlex.split(line)[1:])
        assert callable(args.run), line


def test_quick_start_has_exactly_two_commands() -> None:
    text = README.read_text()
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = [
        line for block in _BLOCK.findall(quick) for line in block[1].splitlines() if line.strip()
    ]
    assert [c.split("#")[0].strip() for c in commands] == [
        "bash scripts/demo.sh",
        "bash scripts/test.sh",
    ]
