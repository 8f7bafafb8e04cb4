"""Benchmarks: ``python benchmarks/accuracy.py`` (accuracy on real photos, case plugins ``cases_*.py``)."""
