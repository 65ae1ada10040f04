-- Materialised as a table, not a view like the rest of staging: its dedup windows ran again for each of
-- its readers (the two unions, dim_order_receivers) and data tests; as a table once (issue 6, bench/RESULTS.md).
-- Incremental (issue 11): a run recomputes only the orders in a file loaded since the last build (the
-- latest export of each still wins); a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='order_no',
) }}

-- 淘宝/天猫 order lines (宝贝报表), current state: for each order the lines of its latest export
-- (latest wins, by export time then load time). The export has no line id: line_no is the
-- line's position within the order in that export (1, 2, …).
with

source as (

    select * from {{ source('raw', 'order_lines_taobao') }}
    {{ changed_keys_filter('order_no', source('raw', 'order_lines_taobao')) }}

),

latest_export as (

    -- the rows of each order's latest file (macros/latest_file_rows.sql)
    {{ latest_file_rows('source', 'order_no') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by order_no
            order by _row_number
        ) as line_position
    from latest_export

),

final as (

    select
        'taobao' as platform,
        order_no,
        {{ dbt.concat(["'taobao:'", "order_no"]) }} as order_key,
        cast(line_position as {{ dbt.type_string() }}) as line_no,
        sku,
        outer_id,
        product_title,
        product_attributes,
        bundle_info,
        quantity,
        unit_price,
        cast(unit_price * quantity as decimal(18, 2)) as line_amount,
        status_raw,
        remark,
        _source_file,
        _row_number,
        _export_time,
        _loaded_at
    from latest

)

select * from final
