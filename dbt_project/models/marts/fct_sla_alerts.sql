-- SLA alerts for paid orders. Stock check at payment: per SKU of the order (gifts included), the latest
-- snapshot at or before paid_at in each warehouse, summed over warehouses, against the ordered quantity.
-- Enough stock: review_pending → ops_lead at payment, and review_escalated → warehouse_supervisor at
-- payment + 2 h when no 审单 came within 2 h (only once that instant has passed as_of).
-- Not enough stock: stock_shortage → purchasing at payment.
with

orders as (

    select * from {{ ref('fct_orders') }}
    where paid_at is not null
        and paid_at <= {{ as_of() }}

),

lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

snapshots as (

    select * from {{ ref('stg_inventory__snapshots') }}

),

ordered_skus as (

    select
        l.order_key,
        l.sku,
        o.paid_at,
        sum(l.quantity) as ordered_qty
    from lines as l
    inner join orders as o
        on o.order_key = l.order_key
    group by l.order_key, l.sku, o.paid_at

),

stock_by_sku as (

    -- the stock over all warehouses at payment: each warehouse's latest snapshot at or before it, summed
    -- (macros/stock_available.sql)
    {{ stock_available_at('ordered_skus', 'snapshots') }}

),

stock_at_payment as (

    select
        s.order_key,
        s.sku,
        s.ordered_qty,
        coalesce(c.available_qty, 0) as available_qty
    from ordered_skus as s
    left join stock_by_sku as c
        on c.order_key = s.order_key
        and c.sku = s.sku

),

shortages as (

    select distinct order_key
    from stock_at_payment
    where available_qty < ordered_qty

),

classified as (

    select
        o.order_key,
        o.paid_at,
        o.reviewed_at,
        sh.order_key is not null as is_short
    from orders as o
    left join shortages as sh
        on sh.order_key = o.order_key

),

alerts as (

    select order_key, 'stock_shortage' as alert_type, 'purchasing' as recipient_role, paid_at as raised_at
    from classified
    where is_short

    union all

    select order_key, 'review_pending' as alert_type, 'ops_lead' as recipient_role, paid_at as raised_at
    from classified
    where not is_short

    union all

    select
        order_key,
        'review_escalated' as alert_type,
        'warehouse_supervisor' as recipient_role,
        {{ dbt.dateadd('hour', 2, 'paid_at') }} as raised_at
    from classified
    where not is_short
        and {{ dbt.dateadd('hour', 2, 'paid_at') }} <= {{ as_of() }}
        and (reviewed_at is null or reviewed_at > {{ dbt.dateadd('hour', 2, 'paid_at') }})

),

final as (

    select
        order_key,
        alert_type,
        recipient_role,
        cast(raised_at as {{ dbt.type_timestamp() }}) as raised_at
    from alerts

)

select * from final
