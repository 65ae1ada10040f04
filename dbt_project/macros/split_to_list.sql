{#- A delimited text (`SO1 SO2`) as a list of text, in order; an empty list for null or ''. -#}
{% macro split_to_list(expr, delimiter) -%}
    {{ return(adapter.dispatch('split_to_list')(expr, delimiter)) }}
{%- endmacro %}

{% macro default__split_to_list(expr, delimiter) -%}
    case when {{ expr }} is null or {{ expr }} = '' then array() else split({{ expr }}, {{ delimiter }}) end
{%- endmacro %}

{% macro duckdb__split_to_list(expr, delimiter) -%}
    case
        when {{ expr }} is null or {{ expr }} = '' then cast([] as varchar[])
        else string_split({{ expr }}, {{ delimiter }})
    end
{%- endmacro %}
