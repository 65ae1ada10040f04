-- One row per order: fulfilment milestones and the canonical status.
-- shipped_at = earliest of 出库, first track node, platform 发货时间; signed_at = first node with state 3 on
-- any of the order's numbers; on_time_72h / shipped_within_24h are null while not due and not achieved.
with

orders as (

    select * from {{ ref('int_orders_unioned') }}

),

order_tracking as (

    select * from {{ ref('int_order_tracking_numbers') }}

),

parcels as (

    select * from {{ ref('stg_tracks__parcels') }}

),

events as (

    select * from {{ ref('stg_warehouse__events') }}
    where event_time <= {{ as_of() }}

),

lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

reviews as (

    select
        order_key,
        warehouse_code,
        event_time,
        row_number() over (partition by order_key order by event_time, warehouse_code) as review_rank
    from events
    where event = '审单'

),

first_review as (

    select order_key, event_time as reviewed_at, warehouse_code
    from reviews
    where review_rank = 1

),

outbound as (

    select order_key, min(event_time) as outbound_at
    from events
    where event = '出库'
    group by order_key

),

tracking as (

    select
        t.order_key,
        min(p.first_node_at) as first_node_at,
        min(p.signed_at) as signed_at
    from order_tracking as t
    left join parcels as p
        on p.tracking_no = t.tracking_no
    group by t.order_key

),

tracking_counts as (

    select order_key, count(*) as numbers, max(tracking_no) as only_tracking_no
    from order_tracking
    group by order_key

),

multi_tracking_lists as (

    -- an ordered aggregate sorts each group: only for the few orders with several numbers (issue 6)
    select
        t.order_key,
        -- in shipping order: by the parcel's first warehouse scan, then the number
        {{ dbt.listagg('t.tracking_no', "';'", 'order by t.first_scanned_at, t.tracking_no') }} as tracking_nos
    from order_tracking as t
    inner join tracking_counts as c
        on c.order_key = t.order_key
    where c.numbers > 1
    group by t.order_key

),

tracking_lists as (

    select
        c.order_key,
        case when c.numbers = 1 then c.only_tracking_no else m.tracking_nos end as tracking_nos
    from tracking_counts as c
    left join multi_tracking_lists as m
        on m.order_key = c.order_key

),

gifts as (

    select order_key, max(case when is_gift then 1 else 0 end) = 1 as is_gift_included
    from lines
    group by order_key

),

joined as (

    select
        o.order_key,
        o.platform,
        o.order_no,
        o.customer_key,
        o.channel,
        o.paid_at,
        r.reviewed_at,
        r.warehouse_code,
        -- earliest of the three shipping signals (least() ignores nothing portably: coalesce each)
        case
            when ob.outbound_at is null and t.first_node_at is null and o.platform_shipped_at is null then null
            else least(
                coalesce(ob.outbound_at, t.first_node_at, o.platform_shipped_at),
                coalesce(t.first_node_at, ob.outbound_at, o.platform_shipped_at),
                coalesce(o.platform_shipped_at, ob.outbound_at, t.first_node_at)
            )
        end as shipped_at,
        t.signed_at,
        o.order_amount,
        o.platform_status,
        coalesce(g.is_gift_included, false) as is_gift_included,
        tl.tracking_nos
    from orders as o
    left join first_review as r on r.order_key = o.order_key
    left join outbound as ob on ob.order_key = o.order_key
    left join tracking as t on t.order_key = o.order_key
    left join tracking_lists as tl on tl.order_key = o.order_key
    left join gifts as g on g.order_key = o.order_key

),

rules as (

    select
        *,
        case
            when platform_status in ('pending_payment', 'cancelled', 'refunded', 'completed') then platform_status
            when signed_at is not null then 'signed'
            when shipped_at is not null then 'shipped'
            else 'paid'
        end as status,
        case
            when paid_at is null then null
            when signed_at is not null and signed_at <= {{ dbt.dateadd('hour', 72, 'paid_at') }} then true
            when {{ as_of() }} >= {{ dbt.dateadd('hour', 72, 'paid_at') }} then false
        end as on_time_72h,
        case
            when paid_at is null then null
            when shipped_at is not null and shipped_at <= {{ dbt.dateadd('hour', 24, 'paid_at') }} then true
            when {{ as_of() }} >= {{ dbt.dateadd('hour', 24, 'paid_at') }} then false
        end as shipped_within_24h,
        case
            when paid_at is null then null
            when reviewed_at > {{ dbt.dateadd('hour', 2, 'paid_at') }} then true
            when reviewed_at is null and {{ as_of() }} > {{ dbt.dateadd('hour', 2, 'paid_at') }} then true
            else false
        end as review_late
    from joined

),

final as (

    select
        order_key,
        platform,
        order_no,
        customer_key,
        channel,
        paid_at,
        reviewed_at,
        warehouse_code,
        shipped_at,
        signed_at,
        cast(order_amount as decimal(18, 2)) as order_amount,
        status,
        is_gift_included,
        tracking_nos,
        on_time_72h,
        shipped_within_24h,
        case
            when review_late then 'review'
            when shipped_within_24h = false then 'outbound'
            when on_time_72h = false then 'transit'
        end as delay_stage
    from rules

)

select * from final
