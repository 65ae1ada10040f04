-- Materialised as a table, not a view like the rest of staging: its dedup windows ran again for each of
-- its readers (the two unions, dim_order_receivers) and data tests; as a table once (issue 6, bench/RESULTS.md).
-- Incremental (issue 11): a run recomputes only the orders in a file loaded since the last build (the
-- latest export of each still wins); a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='order_no',
) }}

-- 淘宝/天猫 orders (订单报表), current state: one row per order, from its latest export
-- (latest wins, by export time then load time; within one file the first row).
with

source as (

    select * from {{ source('raw', 'orders_taobao') }}
    {{ changed_keys_filter('order_no', source('raw', 'orders_taobao')) }}

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
        'taobao' as platform,
        order_no,
        {{ dbt.concat(["'taobao:'", "order_no"]) }} as order_key,
        buyer_nick,
        payment_no,
        goods_amount,
        shipping_fee,
        order_amount,
        paid_amount,
        created_at,
        paid_at,
        status,
        status_raw,
        close_reason,
        product_title,
        item_kinds,
        quantity,
        courier,
        tracking_nos,
        receiver_name,
        receiver_phone,
        address,
        buyer_message,
        merchant_remark,
        shop_name,
        _source_file,
        _row_number,
        _export_time,
        _loaded_at
    from ranked
    where export_rank = 1

)

select * from final
