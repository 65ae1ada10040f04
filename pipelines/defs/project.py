"""The dbt project, located once for every module that needs it."""

from dagster_dbt import DbtProject

from pipelines.settings import DBT_PROJECT_DIR, dbt_target_dir

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=dbt_target_dir()
)
dbt_project.prepare_if_dev()
