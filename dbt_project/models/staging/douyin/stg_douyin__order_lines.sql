-- Materialised as a table, not a view like the rest of staging: its dedup windows ran again for each of
-- its readers (the two unions, dim_order_receivers) and data tests; as a table once (issue 6, bench/RESULTS.md).
-- Incremental (issue 11): a run recomputes only the orders in a file loaded since the last build (the
-- latest export of each still wins); a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='order_no',
) }}

-- 抖店 order lines, current state: for each order the lines of its latest export
-- (latest wins, by export time then load time), each 子订单 once.
with

source as (

    select * from {{ source('raw', 'orders_douyin') }}
    {{ changed_keys_filter('order_no', source('raw', 'orders_douyin')) }}

),

latest_export as (

    -- the rows of each order's latest file (macros/latest_file_rows.sql)
    {{ latest_file_rows('source', 'order_no') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by order_no, sub_order_no
            order by _row_number
        ) as line_rank
    from latest_export

),

final as (

    select
        'douyin' as platform,
        order_no,
        {{ dbt.concat(["'douyin:'", "order_no"]) }} as order_key,
        sub_order_no as line_no,
        sku,
        product_title,
        product_id,
        quantity,
        line_amount,
        order_amount,
        created_at,
        paid_at,
        status,
        status_raw,
        room_id,
        video_id,
        receiver_name,
        receiver_phone,
        province,
        city,
        district,
        street,
        address,
        tracking_nos,
        shipped_at,
        _source_file,
        _row_number,
        _export_time,
        _loaded_at
    from latest
    where line_rank = 1

)

select * from final
