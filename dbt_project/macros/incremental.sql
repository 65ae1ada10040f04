{#-
  Incremental staging (issue 11, docs/incremental.md). The raw tables only grow: ingest appends the rows of
  files it has not seen (by SHA-256), every row stamped with the run's `_loaded_at`. An incremental staging
  model keeps `_loaded_at` and, on an incremental run, recomputes only the keys (tracking number, order) that
  have a row loaded after the newest `_loaded_at` it already holds, from ALL of their rows, with the same SQL
  as a full build; dbt's delete+insert then replaces those keys. Recomputing a key too often is harmless (the
  result is the same); a key is never missed, because a later ingest run stamps a later `_loaded_at`.
-#}

{#- The watermark: the newest `_loaded_at` this model already holds (an empty model: every row is new). -#}
{% macro incremental_watermark() -%}
    (select coalesce(max(_loaded_at), cast('1900-01-01 00:00:00' as timestamp)) from {{ this }})
{%- endmacro %}

{#- In an incremental run, `where <key> in (keys of <relation> with a row loaded after the watermark)`;
    `and_` = true continues an existing where clause. Renders nothing in a full build. -#}
{% macro changed_keys_filter(key, relation, relation_key=none, and_=false) -%}
    {%- if is_incremental() %}
    {{ 'and' if and_ else 'where' }} {{ key }} in (
        select {{ relation_key or key }}
        from {{ relation }}
        where _loaded_at > {{ incremental_watermark() }}
    )
    {%- endif %}
{%- endmacro %}
