{#- The run's as_of instant as a timestamp literal (portable). -#}
{% macro as_of() -%}
    cast('{{ var("as_of") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
