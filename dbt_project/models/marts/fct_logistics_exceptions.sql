-- Open logistics exceptions, by the latest 快递100 state of each tracking number: 4 or 14 → rejected,
-- 6 → returned, 2 → problem; still moving (0, 1, 5, 7) with no node for more than 24 h before as_of →
-- stalled_24h. since = the last node's time (stalled: last node + 24 h). Signed (3) parcels have none.
-- One row per tracking number × order it belongs to (a merged parcel belongs to several orders; a number
-- of no order has order_key null).
with

parcels as (

    select * from {{ ref('stg_tracks__parcels') }}

),

order_tracking as (

    select * from {{ ref('int_order_tracking_numbers') }}

),

classified as (

    select
        tracking_no,
        carrier,
        latest_node_at,
        latest_context,
        case
            when latest_state in ('4', '14') then 'rejected'
            when latest_state = '6' then 'returned'
            when latest_state = '2' then 'problem'
            when latest_state in ('0', '1', '5', '7')
                and latest_node_at < {{ dbt.dateadd('hour', -24, as_of()) }} then 'stalled_24h'
        end as exception_type
    from parcels

),

final as (

    select
        c.tracking_no,
        c.carrier,
        t.order_key,
        c.exception_type,
        case
            when c.exception_type = 'stalled_24h' then {{ dbt.dateadd('hour', 24, 'c.latest_node_at') }}
            else c.latest_node_at
        end as since,
        c.latest_node_at as last_event_at,
        c.latest_context as last_context
    from classified as c
    left join order_tracking as t
        on t.tracking_no = c.tracking_no
    where c.exception_type is not null

)

select * from final
