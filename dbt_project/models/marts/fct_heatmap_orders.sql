-- The orders behind every non-zero cell of fct_fulfillment_heatmap: one row per day × order counted on
-- that day (same rule, same 30 days: paid at least 24 h before end(D), not shipped by end(D), not
-- cancelled/refunded by end(D); warehouse of the first 审单, else UNASSIGNED). Lets the dashboard list a
-- cell's orders and break them down by hour, category and stage without re-deriving the rule.
-- The singular test assert_heatmap_orders_add_up_to_the_heatmap keeps both in step.
with

orders as (

    select * from {{ ref('fct_orders') }}

),

closures as (

    select * from {{ ref('int_order_closures') }}

),

day_offsets as (

    {% for n in range(30) %}
    select {{ n }} as day_offset{% if not loop.last %} union all{% endif %}
    {% endfor %}

),

days as (

    select
        cast({{ dbt.dateadd('day', '-day_offset', 'cast(' ~ as_of() ~ ' as date)') }} as date) as day
    from day_offsets

),

day_ends as (

    select
        day,
        case
            when {{ dbt.dateadd('day', 1, 'cast(day as ' ~ dbt.type_timestamp() ~ ')') }} > {{ as_of() }}
                then {{ as_of() }}
            else {{ dbt.dateadd('day', 1, 'cast(day as ' ~ dbt.type_timestamp() ~ ')') }}
        end as day_end
    from days

),

candidates as (

    select
        o.order_key,
        o.order_no,
        o.platform,
        coalesce(o.warehouse_code, 'UNASSIGNED') as warehouse_code,
        o.paid_at,
        o.reviewed_at,
        o.shipped_at,
        o.delay_stage,
        c.closed_seen_at
    from orders as o
    left join closures as c
        on c.order_key = o.order_key
    where o.paid_at is not null

),

final as (

    select
        d.day,
        c.warehouse_code,
        c.order_key,
        c.platform,
        c.order_no,
        c.paid_at,
        cast({{ dbt.date_trunc('hour', 'c.paid_at') }} as {{ dbt.type_timestamp() }}) as paid_hour,
        c.reviewed_at,
        c.shipped_at,
        c.delay_stage,
        cast({{ dbt.datediff('c.paid_at', 'd.day_end', 'hour') }} as integer) as hours_since_paid
    from day_ends as d
    inner join candidates as c
        on c.paid_at <= {{ dbt.dateadd('hour', -24, 'd.day_end') }}
        and (c.shipped_at is null or c.shipped_at > d.day_end)
        and (c.closed_seen_at is null or c.closed_seen_at > d.day_end)

)

select * from final
