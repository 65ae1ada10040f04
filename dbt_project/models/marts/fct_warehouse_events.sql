-- The warehouse operation log as events (审单, 出库扫描, 出库, 异常上报) up to as_of, for the order lookup's
-- review and outbound chain.
with

events as (

    select * from {{ ref('stg_warehouse__events') }}
    where event_time <= {{ as_of() }}

),

final as (

    select
        order_key,
        event_time,
        event,
        warehouse_code,
        operator,
        tracking_no,
        barcode,
        wave_no,
        remark
    from events

)

select * from final
