{#- The run's as_of instant as a timestamp literal (portable).

    Where it comes from, first found wins:
    1. the dbt var `as_of` (`dbt build --vars '{"as_of": "YYYY-MM-DD HH:MM:SS"}'`, CONTRACT);
    2. the environment variable ORDERLENS_AS_OF (CONTRACT) — what `orderlens run` and the Dagster dbt step pass;
    3. 2026-01-01 00:00:00 (dbt alone, for the unit tests that do not set it).
    The environment is read only when dbt executes, never while it parses: a new as_of every run then leaves
    dbt's partial parsing intact (a changed `--vars` makes dbt re-parse the whole project, ~11 s on 2 cores,
    bench/RESULTS.md). At parse time the value does not matter (nothing about the graph depends on it). -#}
{% macro as_of() -%}
    {%- set value = var("as_of", none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var("ORDERLENS_AS_OF", "") or none -%}
    {%- endif -%}
    cast('{{ value or "2026-01-01 00:00:00" }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
