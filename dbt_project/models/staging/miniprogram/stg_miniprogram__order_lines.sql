-- Materialised as a table, not a view like the rest of staging: its dedup windows ran again for each of
-- its readers (the two unions, dim_order_receivers) and data tests; as a table once (issue 6, bench/RESULTS.md).
-- Incremental (issue 11): a run recomputes only the orders in a file loaded since the last build (the
-- latest export of each still wins); a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='order_no',
) }}

-- 有赞 mini-program order lines, current state: for each order the lines of its latest export
-- (latest wins, by export time then load time), each line (oid) once.
with

source as (

    select * from {{ source('raw', 'orders_miniprogram') }}
    {{ changed_keys_filter('tid', source('raw', 'orders_miniprogram')) }}

),

latest_export as (

    -- the rows of each order's latest file (macros/latest_file_rows.sql)
    {{ latest_file_rows('source', 'tid') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by tid, oid
            order by update_time desc, _row_number desc
        ) as line_rank
    from latest_export

),

final as (

    select
        'miniprogram' as platform,
        tid as order_no,
        {{ dbt.concat(["'miniprogram:'", "tid"]) }} as order_key,
        oid as line_no,
        outer_sku_id as sku,
        title as product_title,
        num as quantity,
        line_payment as line_amount,
        is_present as is_gift,
        payment as order_amount,
        total_fee,
        post_fee,
        created as created_at,
        pay_time as paid_at,
        consign_time as shipped_at,
        success_time as completed_at,
        update_time as updated_at,
        status,
        status_raw,
        tracking_nos,
        express_ids,
        receiver_name,
        receiver_tel as receiver_phone,
        delivery_province as province,
        delivery_city as city,
        delivery_district as district,
        delivery_address as address,
        _source_file,
        _row_number,
        _export_time,
        _loaded_at
    from latest
    where line_rank = 1

)

select * from final
