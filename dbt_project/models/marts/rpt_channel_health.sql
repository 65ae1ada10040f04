-- Traffic quality of 抖店 channels: per creation day × 直播间 / 视频 (and `other` for orders with neither),
-- the orders created and how many were still unpaid 72 h after creation. An order counts as unpaid only
-- once its 72 h have passed at as_of (created_at + 72 h <= as_of) and it was not paid by then; younger
-- orders count in `orders` only. alert: unpaid_rate > 65% on at least 20 orders (the exact ratio is
-- compared; unpaid_rate itself is rounded half up to 4 decimals).
with

orders as (

    select * from {{ ref('int_orders_unioned') }}
    where platform = 'douyin'
        and created_at <= {{ as_of() }}

),

classified as (

    select
        cast(created_at as date) as day,
        case
            when channel = '直播' then '直播'
            when channel = '短视频' then '短视频'
            else 'other'
        end as channel,
        case when channel in ('直播', '短视频') then channel_id else 'other' end as channel_id,
        case
            when {{ dbt.dateadd('hour', 72, 'created_at') }} <= {{ as_of() }}
                and (paid_at is null or paid_at > {{ dbt.dateadd('hour', 72, 'created_at') }})
                then 1
            else 0
        end as is_unpaid_after_72h
    from orders

),

per_channel as (

    select
        day,
        channel,
        channel_id,
        count(*) as orders,
        sum(is_unpaid_after_72h) as unpaid_after_72h
    from classified
    group by day, channel, channel_id

),

final as (

    select
        day,
        channel,
        channel_id,
        cast(orders as integer) as orders,
        cast(unpaid_after_72h as integer) as unpaid_after_72h,
        {{ rate_half_up('unpaid_after_72h', 'orders') }} as unpaid_rate,
        orders >= 20 and 20 * unpaid_after_72h > 13 * orders as alert
    from per_channel

)

select * from final
