"""Shared fixtures. Models are created once per process (photocheck.inference.get_models), so
every test in the run shares them; photos built from ../shared/faces are cached per session.

Real test photos: a test (or a fixture) that needs ../shared/faces (or $PHOTOCHECK_FACES) asks for
the ``faces`` fixture or carries ``@pytest.mark.faces``; only those skip when the photos are absent.
Every other test runs everywhere (the shipped samples/ are real photos too).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.compose import FACES, faces_available  # noqa: E402

FACES_MISSING = f"{FACES} (the real test photos) not present"
needs_faces = pytest.mark.skipif(not faces_available(), reason=FACES_MISSING)


@pytest.fixture(scope="session")
def faces() -> Path:
    """The folder of real test photos; asking for it (directly or from a fixture) marks a test as needing them."""
    if not faces_available():
        pytest.skip(FACES_MISSING)
    return FACES


def pytest_collection_modifyitems(config, items):
    if faces_available():
        return
    for item in items:
        if "faces" in item.fixturenames or item.get_closest_marker("faces"):
            item.add_marker(needs_faces)


def pytest_terminal_summary(terminalreporter):
    """Figures a test measured (``record_property("figure", text)``), shown after the run: the
    precision test's flag rate per rule, for the rules that are on and the experimental ones alike."""
    lines = [value for reports in terminalreporter.stats.values() for r in reports
             if getattr(r, "when", None) == "call" for key, value in getattr(r, "user_properties", ()) if key == "figure"]
    if lines:
        terminalreporter.write_sep("-", "measured figures")
        for line in lines:
            terminalreporter.write_line(line)
