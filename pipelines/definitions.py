"""Dagster entry point (workspace.yaml: python_module pipelines.definitions).

Everything under pipelines/defs/ is discovered by `load_from_defs_folder`; those
modules only wire pure code (pipelines/sources, pipelines/ingest.py, pipelines/publish.py)
and dbt (dbt_project/) into assets.
"""

from pathlib import Path

import dagster as dg


def load_definitions() -> dg.Definitions:
    """The project's Definitions, for in-process use (`orderlens run`, tests)."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


@dg.definitions
def defs() -> dg.Definitions:
    return load_definitions()
