-- One row per day, from the earliest day with a payment, a first inquiry or a package hand-over (出库) to
-- the as_of day; days where nothing happened are still there (orders_paid 0, rates null).
-- Rates are rounded half up to 4 decimals, exactly; a rate is null when its denominator is 0.
-- * orders_paid: orders whose paid_at (B2B: 下单时间) falls on the day, whatever happened to them later.
-- * on_time_72h_rate: of the day's paid orders that are due (as_of >= paid_at + 72 h), the share signed
--   within 72 h (fct_orders.on_time_72h = true). Orders not yet due are in neither part, even if signed.
-- * shipped_within_24h_rate: the same with 24 h and shipped_at.
-- * repeat_inquiry_rate: of the orders whose first inquiry (any type) fell on the day, the share with
--   2 or more 物流查询 inquiries by as_of.
-- * difference_rate: pending / in-scope orders of the three-way match by the order's paid day
--   (int_kpi_reconciliation_daily).
-- * mis_shipment_rate: mis-shipped orders / orders whose first 出库 was that day; avg_aftersales_minutes:
--   mean handling minutes of the tickets resolved that day (int_kpi_aftersales_daily).
-- * avg_outbound_seconds: mean first 出库扫描 → 出库 of the packages handed over that day, all warehouses
--   (per warehouse: fct_kpi_daily_warehouse), rounded half up to 2 decimals.
with

orders as (

    select * from {{ ref('fct_orders') }}
    where paid_at is not null
        and paid_at <= {{ as_of() }}

),

inquiry_orders as (

    select * from {{ ref('int_inquiries_by_order') }}

),

packages as (

    select * from {{ ref('int_outbound_packages') }}

),

reconciliation_days as (

    select * from {{ ref('int_kpi_reconciliation_daily') }}

),

aftersales_days as (

    select * from {{ ref('int_kpi_aftersales_daily') }}

),

paid_days as (

    select
        cast(paid_at as date) as day,
        count(*) as orders_paid,
        sum(case when {{ as_of() }} >= {{ dbt.dateadd('hour', 72, 'paid_at') }} then 1 else 0 end) as due_72h,
        sum(
            case when {{ as_of() }} >= {{ dbt.dateadd('hour', 72, 'paid_at') }} and on_time_72h then 1 else 0 end
        ) as on_time_72h,
        sum(case when {{ as_of() }} >= {{ dbt.dateadd('hour', 24, 'paid_at') }} then 1 else 0 end) as due_24h,
        sum(
            case
                when {{ as_of() }} >= {{ dbt.dateadd('hour', 24, 'paid_at') }} and shipped_within_24h then 1
                else 0
            end
        ) as shipped_within_24h
    from orders
    group by cast(paid_at as date)

),

inquiry_days as (

    select
        first_inquiry_day as day,
        count(*) as inquiring_orders,
        sum(case when logistics_inquiries >= 2 then 1 else 0 end) as repeat_inquiry_orders
    from inquiry_orders
    group by first_inquiry_day

),

outbound_days as (

    select
        handover_day as day,
        count(*) as packages,
        sum(outbound_seconds) as outbound_seconds
    from packages
    group by handover_day

),

bounds as (

    select min(day) as first_day
    from (
        select day from paid_days
        union all
        select day from inquiry_days
        union all
        select day from outbound_days
    ) as active_days

),

days as (

    {{ day_spine('(select first_day from bounds)', 'cast(' ~ as_of() ~ ' as date)') }}

),

final as (

    select
        d.day,
        cast(coalesce(p.orders_paid, 0) as integer) as orders_paid,
        {{ rate_half_up('p.on_time_72h', 'p.due_72h') }} as on_time_72h_rate,
        {{ rate_half_up('p.shipped_within_24h', 'p.due_24h') }} as shipped_within_24h_rate,
        {{ rate_half_up('r.orders_pending', 'r.orders_in_scope') }} as difference_rate,
        {{ rate_half_up('a.orders_mis_shipped', 'a.orders_shipped') }} as mis_shipment_rate,
        {{ rate_half_up('i.repeat_inquiry_orders', 'i.inquiring_orders') }} as repeat_inquiry_rate,
        {{ rate_half_up('a.handling_seconds', '60 * a.tickets_resolved', 2, 18) }} as avg_aftersales_minutes,
        {{ rate_half_up('ob.outbound_seconds', 'ob.packages', 2, 18) }} as avg_outbound_seconds
    from days as d
    left join paid_days as p on p.day = d.day
    left join inquiry_days as i on i.day = d.day
    left join outbound_days as ob on ob.day = d.day
    left join reconciliation_days as r on r.day = d.day
    left join aftersales_days as a on a.day = d.day

)

select * from final
