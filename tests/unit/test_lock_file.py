"""PaaS Python buildpacks install Outpost from requirements.txt: it pins what pyproject needs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[0-9][^\s;#]*)$")


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line == ".":
            continue
        match = PIN.match(line)
        assert match, f"requirements.txt: {line!r} is not pinned as name==version"
        pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def _runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]]


def test_lock_file_pins_every_runtime_dependency_within_its_range() -> None:
    pins = _pins()
    for requirement in _runtime_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"requirements.txt does not pin {requirement.name}"
        assert SpecifierSet(str(requirement.specifier)).contains(pins[name]), (
            f"requirements.txt pins {name}=={pins[name]}, outside pyproject's {requirement}"
        )


def test_lock_file_installs_outpost_itself() -> None:
    # The buildpack runs `pip install -r requirements.txt`; `.` puts `bot` and `handlers` there.
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "." in lines


def test_python_version_matches_what_pyproject_requires() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(f"{version}.0")
