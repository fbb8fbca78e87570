"""dbt-duckdb plugin: what a dbt process writes is private to the user, however dbt is run.

dbt's log (logs/dbt.log) holds what `dbt show` printed, names, emails and phones of the alerts
included, and target/ holds compiled SQL and results. dbt creates both with the user's umask
(usually 0644 files), and before any adapter code runs. Listed first under the local target's
plugins, this one runs when dbt opens the warehouse, in every dbt command of the local target,
plain `dbt` too: from then on the process creates files 0600 and folders 0700, and the log and
target folders dbt made already are closed (0700, their files 0600). `make setup` creates both
folders 0700 too, for the redshift target, which loads no plugin.
"""

from __future__ import annotations

import os
from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin

PRIVATE_FOLDER, PRIVATE_FILE = 0o700, 0o600
_CLOSED: set[Path] = set()  # once a process: what it writes later is private by its umask


def close(folder: Path) -> None:
    """``folder`` and everything under it readable by its owner only."""
    if not folder.is_dir():
        return
    folder.chmod(PRIVATE_FOLDER)
    for root, folders, files in os.walk(folder):
        for name in folders:
            (Path(root) / name).chmod(PRIVATE_FOLDER)
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(PRIVATE_FILE)


def dbt_folders() -> list[Path]:
    """The log and target folders of this dbt command (its flags, else dbt's defaults)."""
    from dbt.flags import get_flags

    flags = get_flags()
    project = Path(getattr(flags, "PROJECT_DIR", None) or ".")
    return [
        Path(getattr(flags, "LOG_PATH", None) or project / "logs"),
        Path(getattr(flags, "TARGET_PATH", None) or project / "target"),
    ]


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        pass

    def update_connection_config(self, creds, config: dict) -> None:
        os.umask(0o077)
        for folder in dbt_folders():
            if folder.resolve() not in _CLOSED:
                close(folder)
                _CLOSED.add(folder.resolve())
