-- When each cancelled or refunded order was first seen in that state: the export time of the earliest
-- export showing it (the staging models keep only the latest export, so this reads every export).
-- Used by the heatmap's "not cancelled or refunded by end(D)".
{% set platforms = [
    ('douyin', 'orders_douyin', 'order_no'),
    ('pinduoduo', 'orders_pinduoduo', 'order_no'),
    ('taobao', 'orders_taobao', 'order_no'),
    ('miniprogram', 'orders_miniprogram', 'tid'),
    ('erp', 'orders_erp', 'order_no'),
] %}
with

{% for platform, table, order_col in platforms %}
{{ platform }}_closed as (

    select
        {{ dbt.concat(["'" ~ platform ~ ":'", order_col]) }} as order_key,
        min(_export_time) as closed_seen_at
    from {{ source('raw', table) }}
    where status in ('cancelled', 'refunded')
    group by {{ order_col }}

),
{% endfor %}

final as (

    {% for platform, table, order_col in platforms %}
    select order_key, closed_seen_at from {{ platform }}_closed
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
