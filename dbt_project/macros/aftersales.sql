{#- An ordered aggregate into the warehouse's list/array type (fct_aftersales.reason_tags).
    DuckDB: list(expr order by ...) -> VARCHAR[]; the default is the ANSI array_agg(... order by ...)
    (Postgres, Snowflake's ARRAY_AGG WITHIN GROUP would need its own dispatch). -#}
{% macro ordered_list_agg(expression, order_by) -%}
    {{ return(adapter.dispatch('ordered_list_agg', 'orderlens')(expression, order_by)) }}
{%- endmacro %}

{% macro default__ordered_list_agg(expression, order_by) -%}
    array_agg({{ expression }} order by {{ order_by }})
{%- endmacro %}

{#- Spark has no ordered aggregate (collect_list keeps no order): collect (key, value) pairs, sort them
    by key, keep the values. -#}
{% macro spark__ordered_list_agg(expression, order_by) -%}
    transform(
        array_sort(collect_list(struct({{ order_by }} as sort_key, {{ expression }} as item))),
        entry -> entry.item
    )
{%- endmacro %}

{% macro duckdb__ordered_list_agg(expression, order_by) -%}
    list({{ expression }} order by {{ order_by }})
{%- endmacro %}

{#- The units an 出库扫描 row stands for: B2B rows scan a whole case and say so in 备注
    (`整箱 数量:N`), every other row is one unit. -#}
{% macro scanned_units(remark) -%}
    {{ return(adapter.dispatch('scanned_units', 'orderlens')(remark)) }}
{%- endmacro %}

{% macro default__scanned_units(remark) -%}
    coalesce(cast(nullif(regexp_replace({{ remark }}, '^.*数量[:：]\s*([0-9]+).*$', '\1'), {{ remark }}) as integer), 1)
{%- endmacro %}

{#- Spark: regexp_replace refers to a group as $1 (the default's '\1' is taken literally), so extract the
    number; regexp_extract gives '' when nothing matches. -#}
{% macro spark__scanned_units(remark) -%}
    coalesce(cast(nullif(regexp_extract({{ remark }}, '数量[:：]\\s*([0-9]+)', 1), '') as int), 1)
{%- endmacro %}

{% macro duckdb__scanned_units(remark) -%}
    coalesce(try_cast(nullif(regexp_extract({{ remark }}, '数量[:：]\s*([0-9]+)', 1), '') as integer), 1)
{%- endmacro %}

{#- A two-hour slot label of a timestamp's hour: 14:37 -> '14:00-16:00' (the last one is '22:00-24:00'). -#}
{% macro two_hour_slot(ts) -%}
    {%- set start = "2 * cast(floor(" ~ "extract(hour from " ~ ts ~ ")" ~ " / 2) as " ~ dbt.type_int() ~ ")" -%}
    {%- set start_text = "cast(" ~ start ~ " as " ~ dbt.type_string() ~ ")" -%}
    {%- set end_text = "cast(" ~ start ~ " + 2 as " ~ dbt.type_string() ~ ")" -%}
    case when {{ ts }} is not null then
        {{ dbt.concat([
            dbt.right(dbt.concat(["'0'", start_text]), 2),
            "':00-'",
            dbt.right(dbt.concat(["'0'", end_text]), 2),
            "':00'"
        ]) }}
    end
{%- endmacro %}

{#- A double-precision float (dbt.type_float() is a 4-byte FLOAT on DuckDB). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'orderlens')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}

{#- Spark: no DOUBLE PRECISION spelling (PARSE_SYNTAX_ERROR); DOUBLE is 8 bytes. -#}
{% macro spark__type_double() -%}double{%- endmacro %}
