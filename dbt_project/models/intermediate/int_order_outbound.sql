-- Per order, what left the warehouse up to as_of: the first 出库 (time, warehouse, parcel), the last 出库,
-- the first 出库扫描 and its pick wave (波次号). Orders with neither scans nor 出库 have no row.
with

events as (

    select * from {{ ref('stg_warehouse__events') }}
    where event in ('出库扫描', '出库')
        and event_time <= {{ as_of() }}

),

outbound_ranked as (

    select
        order_key,
        event_time,
        warehouse_code,
        tracking_no,
        row_number() over (partition by order_key order by event_time, tracking_no, warehouse_code) as outbound_rank
    from events
    where event = '出库'

),

first_outbound as (

    select order_key, event_time as outbound_at, warehouse_code, tracking_no
    from outbound_ranked
    where outbound_rank = 1

),

last_outbound as (

    select order_key, max(event_time) as last_outbound_at, count(distinct tracking_no) as parcels_out
    from events
    where event = '出库'
    group by order_key

),

scans_ranked as (

    select
        order_key,
        event_time,
        warehouse_code,
        wave_no,
        row_number() over (partition by order_key order by event_time, wave_no, tracking_no) as scan_rank
    from events
    where event = '出库扫描'

),

first_scan as (

    select order_key, event_time as first_scanned_at, warehouse_code, wave_no
    from scans_ranked
    where scan_rank = 1

),

orders as (

    select order_key from first_outbound
    union
    select order_key from first_scan

),

final as (

    select
        orders.order_key,
        first_scan.first_scanned_at,
        first_scan.wave_no,
        first_outbound.outbound_at,
        coalesce(first_outbound.warehouse_code, first_scan.warehouse_code) as warehouse_code,
        first_outbound.tracking_no as outbound_tracking_no,
        last_outbound.last_outbound_at,
        coalesce(last_outbound.parcels_out, 0) as parcels_out
    from orders
    left join first_outbound on first_outbound.order_key = orders.order_key
    left join last_outbound on last_outbound.order_key = orders.order_key
    left join first_scan on first_scan.order_key = orders.order_key

)

select * from final
