{#-
    numerator / denominator rounded half up to `scale` decimals, exactly (integer arithmetic before the one
    division, so no binary tie is rounded the wrong way), as decimal(precision, scale); null when the
    denominator is 0 or null. Both arguments must be integer expressions (counts, sums of whole seconds).
-#}
{% macro rate_half_up(numerator, denominator, scale=4, precision=9) -%}
    {{ return(adapter.dispatch('rate_half_up')(numerator, denominator, scale, precision)) }}
{%- endmacro %}

{% macro default__rate_half_up(numerator, denominator, scale, precision) -%}
    case
        when coalesce({{ denominator }}, 0) <> 0 then
            cast(
                cast(
                    floor(
                        cast(2 * {{ 10 ** scale }} * ({{ numerator }}) + ({{ denominator }}) as {{ double_type() }})
                        / (2 * ({{ denominator }}))
                    ) as {{ double_type() }}
                ) / {{ 10 ** scale }}
                as decimal({{ precision }}, {{ scale }})
            )
    end
{%- endmacro %}

{#- An 8-byte float type: dbt.type_float() is `float`, which DuckDB reads as a 4-byte REAL (its 24-bit
    mantissa rounds 1586.155 the wrong way); elsewhere `float` is already double. -#}
{% macro double_type() -%}
    {{ return(adapter.dispatch('double_type')()) }}
{%- endmacro %}

{% macro default__double_type() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{#- Spark: dbt.type_float() is `float`, a 4-byte FLOAT there too. -#}
{% macro spark__double_type() -%}
    double
{%- endmacro %}

{% macro duckdb__double_type() -%}
    double
{%- endmacro %}
