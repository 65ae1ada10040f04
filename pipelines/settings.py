"""Where things live and what "now" means, from the environment with defaults.

Everything here is read at call time (not import time) so tests and the CLI can
point one process at several landing zones and warehouses.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@contextmanager
def restored_environment(*names: str) -> Iterator[None]:
    """Put these environment variables back as they were (set to their value, or unset) when the block ends,
    whatever the block set them to."""
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_target_dir() -> Path:
    """Where dbt writes its manifest and run artefacts: $ORDERLENS_DBT_TARGET (absolute) or dbt_project/target.
    A second code location or a test that runs `dagster dev` (which re-parses the project) beside a running
    pipeline sets it, so the two never rewrite each other's manifest.json."""
    value = os.environ.get("ORDERLENS_DBT_TARGET")
    return Path(value).resolve() if value else DBT_PROJECT_DIR / "target"


# DuckDB's own default memory_limit is 80 % of RAM: at 10M orders dbt's DuckDB grew to 15.4 GB on a 24 GB
# machine. 40 % (9.4 GiB there) keeps the process under 12 GB; past it DuckDB spills to temp_directory.
# The dbt profile (dbt_project/profiles.yml) reads the same two variables with the same defaults.
DUCKDB_MEMORY_LIMIT_DEFAULT = "40%"


def duckdb_config(warehouse_path: Path | str) -> dict[str, str]:
    """Settings for every DuckDB connection to the warehouse: memory_limit ($ORDERLENS_DUCKDB_MEMORY_LIMIT,
    e.g. `6GB` or `30%`; default 40 % of RAM) and temp_directory, where sorts, joins and aggregates over the
    limit spill ($ORDERLENS_DUCKDB_TEMP; default `<warehouse>.tmp`, DuckDB's own choice, made explicit)."""
    return {
        "memory_limit": os.environ.get("ORDERLENS_DUCKDB_MEMORY_LIMIT") or DUCKDB_MEMORY_LIMIT_DEFAULT,
        "temp_directory": os.environ.get("ORDERLENS_DUCKDB_TEMP") or f"{warehouse_path}.tmp",
    }


def connect_warehouse(warehouse_path: Path | str, read_only: bool = False):
    """A DuckDB connection to the warehouse with `duckdb_config`: every connection the pipeline opens to it."""
    import duckdb

    return duckdb.connect(str(warehouse_path), read_only=read_only, config=duckdb_config(warehouse_path))


SHANGHAI = ZoneInfo("Asia/Shanghai")

AS_OF_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def parse_as_of(text: str) -> datetime:
    """Parse an as_of instant (Asia/Shanghai wall-clock, naive). Raises ValueError with the accepted forms."""
    text = text.strip()
    for fmt in AS_OF_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"as_of {text!r} is not a time; use 'YYYY-MM-DD HH:MM:SS' (Asia/Shanghai wall-clock)")


def now_shanghai() -> datetime:
    return datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    published_dir: Path
    as_of: datetime

    @property
    def as_of_text(self) -> str:
        return self.as_of.strftime("%Y-%m-%d %H:%M:%S")

    @property
    def reports_dir(self) -> Path:
        """Rendered reports (HTML) for readers outside the dashboard: `<warehouse folder>/reports`."""
        return self.warehouse_path.parent / "reports"

    @property
    def exports_dir(self) -> Path:
        """Finance exports written by the pipeline (the daily difference XLSX): `<warehouse folder>/exports`."""
        return self.warehouse_path.parent / "exports"


def _resolve(path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else (Path.cwd() / p).resolve()


def load_settings(
    landing: str | None = None,
    warehouse: str | None = None,
    as_of: str | None = None,
    published: str | None = None,
) -> Settings:
    """Explicit arguments win over the environment, which wins over the defaults."""
    landing_dir = _resolve(landing or os.environ.get("ORDERLENS_LANDING", "data/landing"))
    warehouse_path = _resolve(warehouse or os.environ.get("ORDERLENS_WAREHOUSE", "data/warehouse.duckdb"))
    published_default = warehouse_path.parent / "published"
    published_dir = _resolve(published or os.environ.get("ORDERLENS_PUBLISHED", str(published_default)))
    as_of_text = as_of or os.environ.get("ORDERLENS_AS_OF")
    as_of_value = parse_as_of(as_of_text) if as_of_text else now_shanghai()
    return Settings(landing_dir, warehouse_path, published_dir, as_of_value)


def prepare_dagster_home(home: Path) -> Path:
    """Create DAGSTER_HOME with the project's instance settings (dagster.yaml: pool limit, no telemetry)."""
    import shutil

    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    init_warehouse_pool(home)
    return home


WAREHOUSE_POOL = "orderlens_warehouse"  # every asset that writes the warehouse (pipelines/defs/resources.py)


def init_warehouse_pool(home: Path) -> None:
    """Create the warehouse pool's single slot in the instance before any run starts.

    Dagster creates a pool's slots lazily, on the first claim; two runs starting at the same moment on a
    fresh instance both find no slot and both allocate one (SQLite storage), so the pool would hold 2
    slots and two writers would meet DuckDB's file lock. Allocating it up front, in one process, keeps the
    limit at 1 (idempotent: an existing pool is set to 1 again)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 1)
