"""Resources shared by every asset: the run settings and the dbt CLI."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines import settings as settings_module
from pipelines.settings import Settings, load_settings

from .project import dbt_project

WAREHOUSE_POOL = (
    settings_module.WAREHOUSE_POOL
)  # every asset that writes the warehouse; limit 1 (dagster.yaml)


class OrderlensConfig(dg.ConfigurableResource):
    """Landing dir, warehouse file and as_of. Empty = environment (ORDERLENS_*) or the defaults.

    Resolved when an asset runs, not when the definitions load, so a long-running
    `dagster dev` uses the current time as as_of unless one is set.
    """

    landing: str = ""
    warehouse: str = ""
    as_of: str = ""

    def settings(self) -> Settings:
        settings = load_settings(self.landing or None, self.warehouse or None, self.as_of or None)
        # dbt reads the warehouse path from the environment (profiles.yml); give it the absolute one.
        os.environ["ORDERLENS_WAREHOUSE"] = str(settings.warehouse_path)
        return settings


# The dbt installed beside this Python (the venv's), even when the venv's bin/ is not on PATH.
DBT_EXECUTABLE = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "orderlens": OrderlensConfig(),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
        }
    )
