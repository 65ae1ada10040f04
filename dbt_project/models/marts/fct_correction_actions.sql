-- The mis-shipment correction loop (CONTRACT §2.1). Each mis-shipment (int_mis_shipments) of ordered SKU S
-- at warehouse W detected at T raises, once each:
--   freeze_order    for every other order with a line of S whose first 审单 was at W, with 审单 <= T < shipped_at
--                   (not shipped yet at T; never shipped counts as not yet) — target = that order_key;
--   qc_task         one per W × S — target 'W:S';
--   supplier_alert  one per S — target = S's supplier (product catalogue).
-- An action raised by several mis-shipments is kept from the first by (detected_at, order_key), which is
-- its trigger_ref; created_at = that mis-shipment's detection time.
with

mis_shipments as (

    select * from {{ ref('int_mis_shipments') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

lines as (

    select distinct order_key, sku from {{ ref('int_order_lines_unioned') }}

),

products as (

    select * from {{ ref('stg_products__products') }}

),

triggers as (

    select
        order_key as trigger_ref,
        ordered_sku as sku,
        warehouse_code,
        detected_at
    from mis_shipments

),

freeze_orders as (

    select
        triggers.trigger_ref,
        'freeze_order' as action_type,
        orders.order_key as target,
        triggers.warehouse_code,
        triggers.sku,
        triggers.detected_at as created_at
    from triggers
    inner join lines on lines.sku = triggers.sku
    inner join orders on orders.order_key = lines.order_key
    where orders.warehouse_code = triggers.warehouse_code
        and orders.reviewed_at <= triggers.detected_at
        and (orders.shipped_at is null or orders.shipped_at > triggers.detected_at)
        and orders.order_key <> triggers.trigger_ref

),

qc_tasks as (

    select
        trigger_ref,
        'qc_task' as action_type,
        {{ dbt.concat(["warehouse_code", "':'", "sku"]) }} as target,
        warehouse_code,
        sku,
        detected_at as created_at
    from triggers

),

supplier_alerts as (

    select
        triggers.trigger_ref,
        'supplier_alert' as action_type,
        products.supplier as target,
        triggers.warehouse_code,
        triggers.sku,
        triggers.detected_at as created_at
    from triggers
    left join products on products.sku = triggers.sku

),

raised as (

    select *, {{ dbt.concat(["action_type", "'|'", "target", "'|'", "sku"]) }} as action_key from freeze_orders
    union all
    select *, {{ dbt.concat(["action_type", "'|'", "target", "'|'", "sku"]) }} as action_key from qc_tasks
    union all
    -- one alert per SKU (two SKUs of one supplier are two alerts)
    select *, {{ dbt.concat(["action_type", "'|'", "sku"]) }} as action_key from supplier_alerts

),

deduplicated as (

    select
        *,
        row_number() over (partition by action_key order by created_at, trigger_ref) as raise_rank
    from raised

),

final as (

    select
        trigger_ref,
        action_type,
        target,
        warehouse_code,
        sku,
        created_at
    from deduplicated
    where raise_rank = 1

)

select * from final
