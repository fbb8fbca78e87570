"""The local model's artifacts: versioned folders that the plugin serves from.

An artifact is a folder ``<models_dir>/<model_name>/v<N>/`` with ``model.pkl`` (the fitted
estimator) and ``metadata.json`` (a ModelInfo: what SHOW MODEL shows); ``current`` names the
version in use, replaced atomically, so a failed training keeps the previous model serving,
and so does a version the gate refused (fraud_detection.learner.gate): it is kept, unserved.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path


class ModelNotTrainedError(RuntimeError):
    """No artifact yet: the message names the command that trains one."""


@dataclass
class ModelInfo:
    """What SHOW MODEL reports, and what the artifact's metadata.json holds."""

    model_name: str
    version: int
    state: str
    learner: str
    objective: str
    validation_objective_value: float | None  # None: too few frauds to validate on
    validation_auc: float | None
    validation_average_precision: float | None
    threshold: float
    training_start: str
    training_end: str
    training_rows: int
    training_frauds: int
    features: list[str]
    training_seconds: float
    fingerprint: str
    created_at: str
    validation_scheme: str = ""  # how the candidates were validated (learner.validation)
    candidates: list[dict] = field(default_factory=list)
    gate: dict = field(default_factory=dict)  # the gate's decision (learner.gate.GateDecision)
    genuine_sample_rate: float = 1.0  # the share of genuine rows trained on (MAX_CELLS)


class ModelStore:
    """Versioned artifacts of one model under ``models_dir / model_name``."""

    def __init__(self, models_dir: Path, model_name: str):
        self.folder = Path(models_dir) / model_name
        self.model_name = model_name

    def current_version(self) -> int | None:
        pointer = self.folder / "current"
        return int(pointer.read_text()) if pointer.exists() else None

    def newest_version(self) -> int | None:
        """The newest version trained, served or not."""
        numbers = [int(p.name[1:]) for p in self.folder.glob("v*") if p.name[1:].isdigit()]
        return max(numbers, default=None)

    def info(self, version: int | None = None) -> ModelInfo | None:
        """A version's ModelInfo (by default the serving one's), or None."""
        version = self.current_version() if version is None else version
        if version is None:
            return None
        metadata = json.loads((self.folder / f"v{version}" / "metadata.json").read_text())
        return ModelInfo(**metadata)

    def load(self) -> tuple[object, ModelInfo]:
        info = self.info()
        if info is None:
            raise ModelNotTrainedError(
                f"no model {self.model_name} is trained yet: run `dbt run -s {self.model_name}`"
            )
        with (self.folder / f"v{info.version}" / "model.pkl").open("rb") as file:
            return pickle.load(file), info

    def save(self, model: object, info: ModelInfo, serve: bool = True) -> ModelInfo:
        """Keep ``model`` as the next version; it serves from now on if ``serve``."""
        version = (self.newest_version() or 0) + 1
        folder = self.folder / f"v{version}"
        folder.mkdir(parents=True, exist_ok=False)
        info.version = version
        with (folder / "model.pkl").open("wb") as file:
            pickle.dump(model, file)
        (folder / "metadata.json").write_text(json.dumps(asdict(info), indent=2) + "\n")
        if serve:
            pointer = self.folder / "current.tmp"
            pointer.write_text(f"{version}\n")
            pointer.replace(self.folder / "current")  # atomic: readers see old or new
        return info
