"""Shared fixtures. Models are created once per process (photocheck.inference.get_models), so
every test in the run shares them; photos built from ../shared/faces are cached per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.compose import faces_available  # noqa: E402

needs_faces = pytest.mark.skipif(not faces_available(), reason="../shared/faces (real test photos) not present")


def pytest_collection_modifyitems(config, items):
    if faces_available():
        return
    for item in items:
        if "faces" in item.fixturenames or item.get_closest_marker("faces"):
            item.add_marker(needs_faces)
