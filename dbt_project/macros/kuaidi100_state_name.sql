{#- 快递100 main state code -> its Chinese name (CONTRACT §1.8); unknown codes pass through, null -> 无轨迹. -#}
{% macro kuaidi100_state_name(column) -%}
    case {{ column }}
        when '0' then '在途' when '1' then '揽收' when '2' then '疑难' when '3' then '签收' when '4' then '退签'
        when '5' then '派件' when '6' then '退回' when '7' then '转投' when '14' then '拒签'
        else coalesce({{ column }}, '无轨迹')
    end
{%- endmacro %}
