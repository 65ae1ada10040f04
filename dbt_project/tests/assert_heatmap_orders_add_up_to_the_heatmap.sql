-- Every heatmap cell counts exactly the orders fct_heatmap_orders lists for it (rows returned = failures).
with

heatmap as (

    select * from {{ ref('fct_fulfillment_heatmap') }}

),

listed as (

    select day, warehouse_code, count(*) as listed_orders
    from {{ ref('fct_heatmap_orders') }}
    group by day, warehouse_code

),

final as (

    select
        coalesce(h.day, l.day) as day,
        coalesce(h.warehouse_code, l.warehouse_code) as warehouse_code,
        h.overdue_unshipped_orders,
        l.listed_orders
    from heatmap as h
    full outer join listed as l
        on l.day = h.day
        and l.warehouse_code = h.warehouse_code
    where coalesce(h.overdue_unshipped_orders, 0) <> coalesce(l.listed_orders, 0)
        or h.day is null

)

select * from final
