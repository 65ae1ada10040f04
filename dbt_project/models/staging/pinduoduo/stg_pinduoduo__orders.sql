-- Materialised as a table, not a view like the rest of staging: its dedup windows ran again for each of
-- its readers (the two unions, dim_order_receivers) and data tests; as a table once (issue 6, bench/RESULTS.md).
-- Incremental (issue 11): a run recomputes only the orders in a file loaded since the last build (the
-- latest export of each still wins); a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='order_no',
) }}

-- 拼多多 orders, current state: one row per order, from its latest export
-- (latest wins, by export time then load time; within one file the first row).
with

source as (

    select * from {{ source('raw', 'orders_pinduoduo') }}
    {{ changed_keys_filter('order_no', source('raw', 'orders_pinduoduo')) }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by order_no
            order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number
        ) as export_rank
    from source

),

final as (

    select
        'pinduoduo' as platform,
        order_no,
        {{ dbt.concat(["'pinduoduo:'", "order_no"]) }} as order_key,
        sku,
        product_title,
        product_id,
        product_spec,
        quantity,
        goods_amount,
        shipping_fee,
        shop_discount,
        platform_discount,
        buyer_paid_amount,
        order_amount,
        -- a missing 订单成交时间 falls back to the date in the order number (YYMMDD-…)
        coalesce(created_at, cast(order_date as {{ dbt.type_timestamp() }})) as created_at,
        paid_at,
        shipped_at,
        received_at,
        status,
        status_raw,
        aftersale_status_raw,
        courier,
        tracking_nos,
        receiver_name,
        receiver_phone,
        province,
        city,
        district,
        street,
        merchant_remark,
        _source_file,
        _row_number,
        _export_time,
        _loaded_at
    from ranked
    where export_rank = 1

)

select * from final
