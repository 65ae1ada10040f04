-- What was ordered against what was scanned out, per order × item, for every order with at least one
-- 出库扫描 up to as_of (over all its parcels). An item is the SKU (a scanned 商品条码 is mapped to its SKU
-- through the product catalogue; a barcode the catalogue does not know stays as the barcode).
-- Quantities: order lines summed per SKU; scans count one unit per row, a B2B case row (`整箱 数量:N`) N.
with

lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

products as (

    select * from {{ ref('stg_products__products') }}

),

scans as (

    select * from {{ ref('stg_warehouse__events') }}
    where event = '出库扫描'
        and event_time <= {{ as_of() }}

),

barcodes as (

    -- one SKU per barcode (the first by SKU if the catalogue repeats one)
    select barcode, min(sku) as sku
    from products
    where barcode is not null
    group by barcode

),

scanned as (

    select
        scans.order_key,
        coalesce(barcodes.sku, scans.barcode) as sku,
        sum({{ scanned_units('scans.remark') }}) as shipped_qty
    from scans
    left join barcodes on barcodes.barcode = scans.barcode
    group by scans.order_key, coalesce(barcodes.sku, scans.barcode)

),

scanned_orders as (

    select distinct order_key from scanned

),

expected as (

    select
        lines.order_key,
        lines.sku,
        sum(lines.quantity) as expected_qty,
        min(case when lines.is_gift then 1 else 0 end) = 1 as is_gift
    from lines
    inner join scanned_orders on scanned_orders.order_key = lines.order_key
    group by lines.order_key, lines.sku

),

compared as (

    select
        coalesce(expected.order_key, scanned.order_key) as order_key,
        coalesce(expected.sku, scanned.sku) as sku,
        coalesce(expected.expected_qty, 0) as expected_qty,
        coalesce(scanned.shipped_qty, 0) as shipped_qty,
        coalesce(expected.is_gift, false) as is_gift
    from expected
    full outer join scanned
        on scanned.order_key = expected.order_key
        and scanned.sku = expected.sku

),

final as (

    select
        compared.order_key,
        compared.sku,
        products.category,
        compared.expected_qty,
        compared.shipped_qty,
        compared.is_gift,
        case
            when compared.expected_qty > 0 and compared.shipped_qty = 0 then
                case when compared.is_gift then 'missing_gift' else 'missing' end
            when compared.expected_qty = 0 and compared.shipped_qty > 0 then 'extra'
            when compared.expected_qty <> compared.shipped_qty then 'quantity'
        end as difference
    from compared
    left join products on products.sku = compared.sku

)

select * from final
