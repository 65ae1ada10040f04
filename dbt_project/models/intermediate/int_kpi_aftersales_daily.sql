-- The after-sales columns of fct_kpi_daily, per day up to as_of:
--   mis_shipment_rate      = orders mis-shipped (int_mis_shipments, by detection day = first 出库 day)
--                            / orders whose first 出库 was that day; null on a day without 出库.
--   avg_aftersales_minutes = mean handling minutes (resolved_at - applied_at) of the tickets resolved
--                            that day; null on a day without a resolved ticket.
-- A day appears when it had a 出库 or a resolved ticket.
with

outbound as (

    select * from {{ ref('int_order_outbound') }}
    where outbound_at is not null

),

mis_shipments as (

    select * from {{ ref('int_mis_shipments') }}

),

tickets as (

    -- the tickets fct_aftersales counts as resolved (applied and resolved by as_of), read from staging: the
    -- KPI needs no other column of that mart, and reading it made every build of fct_kpi_daily build the
    -- whole after-sales mart and its tests first (issue 6)
    select applied_at, resolved_at
    from {{ ref('stg_aftersales__tickets') }}
    where applied_at <= {{ as_of() }}
        and resolved_at <= {{ as_of() }}

),

shipped_per_day as (

    select cast(outbound_at as date) as day, count(*) as orders_shipped
    from outbound
    group by cast(outbound_at as date)

),

mis_shipped_per_day as (

    select cast(detected_at as date) as day, count(distinct order_key) as orders_mis_shipped
    from mis_shipments
    group by cast(detected_at as date)

),

resolved_per_day as (

    select
        cast(resolved_at as date) as day,
        count(*) as tickets_resolved,
        sum({{ dbt.datediff('applied_at', 'resolved_at', 'second') }}) as handling_seconds
    from tickets
    group by cast(resolved_at as date)

),

days as (

    select day from shipped_per_day
    union
    select day from resolved_per_day

),

final as (

    select
        days.day,
        shipped_per_day.orders_shipped,
        coalesce(mis_shipped_per_day.orders_mis_shipped, 0) as orders_mis_shipped,
        case when shipped_per_day.orders_shipped > 0 then
            cast(coalesce(mis_shipped_per_day.orders_mis_shipped, 0) as {{ type_double() }})
                / shipped_per_day.orders_shipped
        end as mis_shipment_rate,
        coalesce(resolved_per_day.tickets_resolved, 0) as tickets_resolved,
        coalesce(resolved_per_day.handling_seconds, 0) as handling_seconds,
        case when resolved_per_day.tickets_resolved > 0 then
            cast(resolved_per_day.handling_seconds as {{ type_double() }}) / resolved_per_day.tickets_resolved / 60
        end as avg_aftersales_minutes
    from days
    left join shipped_per_day on shipped_per_day.day = days.day
    left join mis_shipped_per_day on mis_shipped_per_day.day = days.day
    left join resolved_per_day on resolved_per_day.day = days.day

)

select * from final
