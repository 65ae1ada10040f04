{#-
    The raw sources on Spark (docs/spark.md). Ingest writes DuckDB's `raw.*` tables; `orderlens spark-export`
    (pipelines/spark_export.py) writes each as Parquet under one folder. On the spark target this macro, run
    as an `on-run-start` hook, registers every source of schema `raw` as the external table
    `raw.<identifier>` over `<location>/<identifier>` (dropping an earlier registration: the files may have
    changed). The location is the var `spark_raw_location`, else env ORDERLENS_SPARK_RAW; on a cluster it is
    a path every executor can read (hdfs://, s3a://). Other targets: nothing (the hook renders empty).
-#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'orderlens')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set location = var('spark_raw_location', env_var('ORDERLENS_SPARK_RAW', '')) | string -%}
        {%- if not location -%}
            {{ exceptions.raise_compiler_error(
                "spark target: set ORDERLENS_SPARK_RAW (or the var spark_raw_location) to the folder that "
                ~ "`orderlens spark-export` wrote the raw tables to") }}
        {%- endif -%}
        {%- set location = location.rstrip('/') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() if source.schema == 'raw' -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query(
                'create table ' ~ relation ~ " using parquet location '" ~ location ~ '/' ~ source.identifier ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
