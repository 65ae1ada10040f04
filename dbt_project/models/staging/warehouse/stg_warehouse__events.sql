-- Materialised as a table, not a view like the rest of staging: a window function over millions of raw
-- rows that several models and a dozen data tests read; as a view each reader recomputed it (bench/RESULTS.md).
{{ config(materialized='table') }}

-- Warehouse log events. An event logged in several files (a re-exported log) is kept once, from the
-- latest file; identical rows within one file are distinct events (two units scanned) and all stay.
with

source as (

    select * from {{ source('raw', 'warehouse_log') }}

),

ranked as (

    select
        *,
        dense_rank() over (
            partition by
                event_time, event, order_no, platform, warehouse_code,
                operator, tracking_no, barcode, wave_no, remark
            order by _export_time desc, _loaded_at desc, _file_sha256 desc
        ) as file_rank
    from source

),

final as (

    select
        event_time,
        event,
        platform,
        order_no,
        {{ dbt.concat(["platform", "':'", "order_no"]) }} as order_key,
        warehouse_code,
        operator,
        tracking_no,
        barcode,
        wave_no,
        remark,
        _source_file,
        _row_number,
        _export_time
    from ranked
    where file_rank = 1

)

select * from final
