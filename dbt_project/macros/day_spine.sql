{#- Days from `start_day` to `end_day` (date expressions, inclusive) as a `day` column: up to 10,000 days. -#}
{% macro day_spine(start_day, end_day) -%}
    {{ return(adapter.dispatch('day_spine')(start_day, end_day)) }}
{%- endmacro %}

{% macro default__day_spine(start_day, end_day) -%}
    select cast({{ dbt.dateadd('day', 'n.day_offset', start_day) }} as date) as day
    from (
        select d0.d + 10 * d1.d + 100 * d2.d + 1000 * d3.d as day_offset
        from
            {%- for k in range(4) %}
            (
                {% for n in range(10) %}select {{ n }} as d{% if not loop.last %} union all {% endif %}{% endfor %}
            ) as d{{ k }}{% if not loop.last %},{% endif %}
            {%- endfor %}
    ) as n
    where {{ dbt.dateadd('day', 'n.day_offset', start_day) }} <= {{ end_day }}
{%- endmacro %}
