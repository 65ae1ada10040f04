-- Purchasing alerts for forecasts that are off: per SKU, its paid orders in order of (paid_at, order_key);
-- every run of 3 or more consecutive orders that raised a stock_shortage alert (fct_sla_alerts) is one
-- streak, over all warehouses (warehouse_scope `ALL`: the shortage check sums the stock of every
-- warehouse). The streak names the SKU, its supplier (product catalogue) and the blocked orders.
with

orders as (

    select * from {{ ref('fct_orders') }}
    where paid_at is not null
        and paid_at <= {{ as_of() }}

),

lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

alerts as (

    select * from {{ ref('fct_sla_alerts') }}
    where alert_type = 'stock_shortage'

),

products as (

    select * from {{ ref('stg_products__products') }}

),

sku_orders as (

    select distinct l.sku, o.order_key, o.paid_at
    from lines as l
    inner join orders as o
        on o.order_key = l.order_key
    where l.sku is not null

),

flagged as (

    select
        s.sku,
        s.order_key,
        s.paid_at,
        case when a.order_key is not null then 1 else 0 end as is_short,
        row_number() over (partition by s.sku order by s.paid_at, s.order_key) as order_seq
    from sku_orders as s
    left join (select distinct order_key from alerts) as a
        on a.order_key = s.order_key

),

islands as (

    -- consecutive shortage orders share (order_seq - their rank among the SKU's shortage orders)
    select
        sku,
        order_key,
        paid_at,
        order_seq,
        order_seq - row_number() over (partition by sku order by order_seq) as island
    from flagged
    where is_short = 1

),

keyed as (

    select
        *,
        first_value(order_key) over (partition by sku, island order by order_seq) as first_order_key
    from islands

),

streaks as (

    select
        sku,
        island,
        first_order_key,
        min(paid_at) as first_order_at,
        max(paid_at) as last_order_at,
        count(*) as orders_blocked,
        {{ dbt.listagg('order_key', "';'", 'order by order_seq') }} as order_keys
    from keyed
    group by sku, island, first_order_key
    having count(*) >= 3

),

supplier as (

    select sku, max(supplier) as supplier
    from products
    group by sku

),

final as (

    select
        {{ dbt.concat(["s.sku", "'@'", "s.first_order_key"]) }} as streak_key,
        s.sku,
        'ALL' as warehouse_scope,
        s.first_order_at,
        s.last_order_at,
        cast(s.orders_blocked as integer) as orders_blocked,
        p.supplier,
        s.order_keys
    from streaks as s
    left join supplier as p
        on p.sku = s.sku

)

select * from final
