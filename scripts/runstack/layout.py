"""Where a local stack keeps its state, and the one error its steps raise."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class StackError(RuntimeError):
    """A step failed in a way the operator must act on; the message says what and where."""


@dataclass(frozen=True)
class Layout:
    """Where a local stack keeps its state: one directory, ./var by default."""

    root: Path

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    @property
    def postgres_dir(self) -> Path:
        return self.root / "postgres"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "stack.json"

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def prepare(self) -> None:
        for path in (self.root, self.run_dir, self.log_dir):
            if not path.exists():
                path.mkdir(parents=True)
                # The postgres system user must reach its data and log files below here.
                path.chmod(0o755)

    def read_state(self) -> dict[str, str]:
        try:
            state: dict[str, str] = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        return state

    def write_state(self, **state: str) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")
