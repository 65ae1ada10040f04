-- Order ↔ tracking number, from the platform exports (快递单号, ';'-normalised by staging; split parcels
-- give several numbers) and the warehouse log (出库扫描 / 出库; a merged parcel's 出库 has one row per order,
-- so one number links to several orders). One row per order_key × tracking_no, with where it was seen.
with

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

events as (

    select * from {{ ref('stg_warehouse__events') }}

),

positions as (

    {% for n in range(1, 11) %}
    select {{ n }} as position{% if not loop.last %} union all{% endif %}
    {% endfor %}

),

from_platform as (

    select
        o.order_key,
        trim({{ dbt.split_part('o.platform_tracking_nos', "';'", 'p.position') }}) as tracking_no,
        'platform' as seen_in,
        cast(null as {{ dbt.type_timestamp() }}) as seen_at
    from orders as o
    cross join positions as p
    where o.platform_tracking_nos is not null

),

from_warehouse as (

    select
        order_key,
        tracking_no,
        'warehouse' as seen_in,
        event_time as seen_at
    from events
    where event in ('出库扫描', '出库')
        and tracking_no is not null
        and event_time <= {{ as_of() }}

),

seen as (

    select * from from_platform
    where tracking_no is not null and tracking_no <> ''
    union all
    select * from from_warehouse

),

final as (

    select
        order_key,
        tracking_no,
        max(case when seen_in = 'platform' then 1 else 0 end) = 1 as seen_in_platform,
        max(case when seen_in = 'warehouse' then 1 else 0 end) = 1 as seen_in_warehouse,
        -- first warehouse scan of the parcel for this order (null when only the platform shows it)
        min(seen_at) as first_scanned_at
    from seen
    group by order_key, tracking_no

)

select * from final
