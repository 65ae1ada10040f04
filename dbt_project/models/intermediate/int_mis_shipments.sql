-- Mis-shipments (CONTRACT §2.1): an order that has left the warehouse (a 出库 up to as_of) whose distinct
-- scanned items (all parcels) disagree with the distinct SKUs of its lines. One row per ordered SKU that was
-- never scanned: kind missing_gift (a gift line), wrong_item (something not ordered was scanned instead;
-- shipped_sku = that item, preferring one of the same category, then the smallest SKU), else missing_item.
-- detected_at = the order's first 出库 (the parcel's handover); warehouse, wave and parcel are the order's.
with

compared as (

    select * from {{ ref('int_order_item_comparison') }}

),

outbound as (

    select * from {{ ref('int_order_outbound') }}
    where outbound_at is not null

),

missing as (

    select compared.*
    from compared
    inner join outbound on outbound.order_key = compared.order_key
    where compared.difference in ('missing', 'missing_gift')

),

extra as (

    select order_key, sku, category
    from compared
    where difference = 'extra'

),

substitutes as (

    select
        missing.order_key,
        missing.sku as ordered_sku,
        extra.sku as shipped_sku,
        row_number() over (
            partition by missing.order_key, missing.sku
            order by case when extra.category = missing.category then 0 else 1 end, extra.sku
        ) as substitute_rank
    from missing
    inner join extra on extra.order_key = missing.order_key
    where not missing.is_gift

),

final as (

    select
        missing.order_key,
        case
            when missing.is_gift then 'missing_gift'
            when substitutes.shipped_sku is not null then 'wrong_item'
            else 'missing_item'
        end as kind,
        missing.sku as ordered_sku,
        substitutes.shipped_sku,
        outbound.warehouse_code,
        outbound.wave_no,
        outbound.outbound_tracking_no as tracking_no,
        outbound.outbound_at as detected_at
    from missing
    inner join outbound on outbound.order_key = missing.order_key
    left join substitutes
        on substitutes.order_key = missing.order_key
        and substitutes.ordered_sku = missing.sku
        and substitutes.substitute_rank = 1

)

select * from final
