{#- A list column (e.g. fct_bank_receipts.order_nos) as one text, items joined by `sep`, in list order.
    Portable through adapter.dispatch; DuckDB and Postgres-style engines have array_to_string. -#}
{% macro list_to_text(column, sep) -%}
    {{ return(adapter.dispatch('list_to_text')(column, sep)) }}
{%- endmacro %}

{% macro default__list_to_text(column, sep) -%}
    array_to_string({{ column }}, {{ sep }})
{%- endmacro %}

{% macro spark__list_to_text(column, sep) -%}
    array_join({{ column }}, {{ sep }})
{%- endmacro %}
