"""Where this checkout keeps things: the project folder, and `.local/` for local state (the
DuckDB file, trained models, the local Kinesis' data). Every other module reads these."""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = PROJECT_DIR / ".local"
KINESIS_DATA_DIR = LOCAL_DIR / "kinesis"
NODE_MODULES = PROJECT_DIR / "node_modules"
