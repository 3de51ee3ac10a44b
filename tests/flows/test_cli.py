"""The installed ``nextbar`` command as a user runs it: help everywhere, one-line errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NEXTBAR = shutil.which("nextbar") or str(Path(sys.executable).with_name("nextbar"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NEXTBAR, *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("command", ["init", "ingest", "sql", "demo"])
def test_every_command_has_help(command: str) -> None:
    result = _run(command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_an_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = _run("sql", "select 1", "--warehouse", str(tmp_path / "missing.duckdb"))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "does not exist" in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = _run("--debug", "sql", "select 1", "--warehouse", str(tmp_path / "missing.duckdb"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_file_needs_one_symbol(tmp_path: Path) -> None:
    result = _run(
        "ingest", "--file", str(tmp_path / "x.csv"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert result.returncode == 1
    assert "--file needs exactly one --symbol" in result.stderr
