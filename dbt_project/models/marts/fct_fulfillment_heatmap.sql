-- Overdue unshipped orders per day × warehouse, the 30 days up to as_of (a full grid, zeros included).
-- Day D ends at the next midnight, or at as_of for the as_of day. An order counts on D when it was paid
-- at least 24 h before end(D), is not shipped by end(D) and not cancelled/refunded by end(D) (first export
-- showing that state). Its warehouse is that of its first 审单, else UNASSIGNED.
with

orders as (

    select * from {{ ref('fct_orders') }}

),

closures as (

    select * from {{ ref('int_order_closures') }}

),

events as (

    select * from {{ ref('stg_warehouse__events') }}

),

inventory as (

    select * from {{ ref('stg_inventory__snapshots') }}

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

warehouses as (

    select warehouse_code from events where warehouse_code is not null
    union
    select warehouse_code from inventory where warehouse_code is not null
    union
    select 'UNASSIGNED' as warehouse_code

),

grid as (

    select d.day, d.day_end, w.warehouse_code
    from day_ends as d
    cross join warehouses as w

),

candidates as (

    select
        o.order_key,
        coalesce(o.warehouse_code, 'UNASSIGNED') as warehouse_code,
        o.paid_at,
        o.shipped_at,
        c.closed_seen_at
    from orders as o
    left join closures as c
        on c.order_key = o.order_key
    where o.paid_at is not null

),

overdue as (

    select
        g.day,
        g.warehouse_code,
        count(c.order_key) as overdue_unshipped_orders
    from grid as g
    inner join candidates as c
        on c.warehouse_code = g.warehouse_code
        and c.paid_at <= {{ dbt.dateadd('hour', -24, 'g.day_end') }}
        and (c.shipped_at is null or c.shipped_at > g.day_end)
        and (c.closed_seen_at is null or c.closed_seen_at > g.day_end)
    group by g.day, g.warehouse_code

),

final as (

    select
        g.day,
        g.warehouse_code,
        cast(coalesce(o.overdue_unshipped_orders, 0) as integer) as overdue_unshipped_orders
    from grid as g
    left join overdue as o
        on o.day = g.day
        and o.warehouse_code = g.warehouse_code

)

select * from final
