"""The batch settings: ``settings.toml`` beside this module, with a user's TOML file laid over it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .errors import BatchUsageError

SETTINGS_PATH = Path(__file__).with_name("settings.toml")


def load_settings(path: str | os.PathLike | None = None) -> dict:
    """The batch settings (``settings.toml``), with the tables of the TOML file ``path`` laid over them.

    >>> load_settings()["identity"]["same_person"]
    0.6
    """
    with open(SETTINGS_PATH, "rb") as fh:
        cfg = tomllib.load(fh)
    if path:
        try:
            with open(path, "rb") as fh:
                user = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise BatchUsageError(f"无法读取设置文件 {path}：{e}", f"cannot read settings file {path}: {e}") from None
        for table, values in user.items():
            if table not in cfg or not isinstance(values, dict) or set(values) - set(cfg[table]):
                raise BatchUsageError(f"设置文件 {path} 中有未知的设置：[{table}] {', '.join(values) if isinstance(values, dict) else ''}",
                                      f"unknown settings in {path}: [{table}] {', '.join(values) if isinstance(values, dict) else ''}")
            cfg[table].update(values)
    return cfg
