-- Outbound handling time by warehouse and day (CONTRACT §2.1 "avg_outbound_seconds … by warehouse and
-- day"): one row per day × warehouse with at least one package handed over (出库) that day; the mean of
-- first 出库扫描 → 出库 in seconds, rounded half up to 2 decimals. fct_kpi_daily carries the all-warehouse
-- figure per day.
with

packages as (

    select * from {{ ref('int_outbound_packages') }}

),

final as (

    select
        handover_day as day,
        warehouse_code,
        cast(count(*) as integer) as packages,
        {{ rate_half_up('sum(outbound_seconds)', 'count(*)', 2, 18) }} as avg_outbound_seconds
    from packages
    group by handover_day, warehouse_code

)

select * from final
