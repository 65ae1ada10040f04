{#-
    For each row of `probes` (columns order_key, sku, ordered_qty, paid_at): the latest row of `snapshots`
    (snapshot_at, warehouse_code, sku, available_qty; one row per snapshot_at × warehouse × SKU) at or before
    paid_at in each warehouse, as (order_key, sku, ordered_qty, warehouse_code, available_qty). Warehouses
    with no snapshot by then give no row.
    default: rank every earlier snapshot (a join of each probe with all the SKU's earlier snapshots, then a
    window: quadratic, fine on small data). duckdb: an ASOF join, one probe per SKU × warehouse.
-#}
{% macro latest_snapshot_per_warehouse(probes, snapshots) -%}
    {{ return(adapter.dispatch('latest_snapshot_per_warehouse')(probes, snapshots)) }}
{%- endmacro %}

{% macro default__latest_snapshot_per_warehouse(probes, snapshots) -%}
    select order_key, sku, ordered_qty, warehouse_code, available_qty
    from (
        select
            p.order_key,
            p.sku,
            p.ordered_qty,
            i.warehouse_code,
            i.available_qty,
            row_number() over (
                partition by p.order_key, p.sku, i.warehouse_code
                order by i.snapshot_at desc
            ) as snapshot_rank
        from {{ probes }} as p
        inner join {{ snapshots }} as i
            on i.sku = p.sku
            and i.snapshot_at <= p.paid_at
    ) as ranked
    where snapshot_rank = 1
{%- endmacro %}

{% macro duckdb__latest_snapshot_per_warehouse(probes, snapshots) -%}
    select p.order_key, p.sku, p.ordered_qty, p.warehouse_code, i.available_qty
    from (
        select p.order_key, p.sku, p.ordered_qty, p.paid_at, w.warehouse_code
        from {{ probes }} as p
        inner join (select distinct sku, warehouse_code from {{ snapshots }}) as w
            on w.sku = p.sku
    ) as p
    asof inner join {{ snapshots }} as i
        on i.sku = p.sku
        and i.warehouse_code = p.warehouse_code
        and i.snapshot_at <= p.paid_at
{%- endmacro %}
