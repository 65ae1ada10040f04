-- One row per package (tracking number) handed over to the courier by as_of: the warehouse, its first
-- 出库扫描 and its 出库 (a merged parcel's 出库 has one row per order: the earliest counts), and the outbound
-- handling time in seconds. A package scanned but not yet handed over is not here.
with

events as (

    select * from {{ ref('stg_warehouse__events') }}
    where event_time <= {{ as_of() }}
        and tracking_no is not null

),

scans as (

    select tracking_no, warehouse_code, min(event_time) as first_scanned_at
    from events
    where event = '出库扫描'
    group by tracking_no, warehouse_code

),

handovers as (

    select tracking_no, warehouse_code, min(event_time) as handed_over_at
    from events
    where event = '出库'
    group by tracking_no, warehouse_code

),

final as (

    select
        h.tracking_no,
        h.warehouse_code,
        s.first_scanned_at,
        h.handed_over_at,
        cast(h.handed_over_at as date) as handover_day,
        {{ dbt.datediff('s.first_scanned_at', 'h.handed_over_at', 'second') }} as outbound_seconds
    from handovers as h
    inner join scans as s
        on s.tracking_no = h.tracking_no
        and s.warehouse_code = h.warehouse_code

)

select * from final
