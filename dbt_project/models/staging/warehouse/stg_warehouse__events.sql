-- Materialised as a table, not a view like the rest of staging: several models and data tests read it
-- (bench/RESULTS.md).
-- Incremental (issue 11): a run recomputes only the orders with an event loaded since the last build (all of
-- their events: a repeated event is always of one order); a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='order_key',
) }}

-- Warehouse log events. An event logged in several files (a re-exported log) is kept once, from the
-- latest file; identical rows within one file are distinct events (two units scanned) and all stay.
-- Latest file = latest export time, then load time, then SHA-256 (a file is loaded once, by SHA-256).
-- Cheaper than a window over all ten event columns (issue 6): the files are ranked once, and only the
-- events seen in more than one file (found by one aggregate) are joined back to drop their older copies.
with

source as (

    select * from {{ source('raw', 'warehouse_log') }}
    {{ changed_keys_filter('order_no', source('raw', 'warehouse_log')) }}

),

files as (

    select
        _file_sha256,
        _loaded_at,
        row_number() over (order by _export_time desc, _loaded_at desc, _file_sha256 desc) as file_order
    from (
        select distinct _file_sha256, _export_time, _loaded_at
        from source
    ) as loaded_files

),

keyed as (

    select
        source.*,
        files.file_order
    from source
    inner join files
        on files._file_sha256 = source._file_sha256
        and files._loaded_at = source._loaded_at

),

repeated as (

    -- events seen in more than one file, with the latest of those files
    select
        event_time, event, order_no, platform, warehouse_code, operator, tracking_no, barcode, wave_no, remark,
        min(file_order) as latest_file_order
    from keyed
    group by event_time, event, order_no, platform, warehouse_code, operator, tracking_no, barcode, wave_no, remark
    having min(file_order) < max(file_order)

),

latest as (

    select keyed.*
    from keyed
    left join repeated
        on repeated.event_time is not distinct from keyed.event_time
        and repeated.event is not distinct from keyed.event
        and repeated.order_no is not distinct from keyed.order_no
        and repeated.platform is not distinct from keyed.platform
        and repeated.warehouse_code is not distinct from keyed.warehouse_code
        and repeated.operator is not distinct from keyed.operator
        and repeated.tracking_no is not distinct from keyed.tracking_no
        and repeated.barcode is not distinct from keyed.barcode
        and repeated.wave_no is not distinct from keyed.wave_no
        and repeated.remark is not distinct from keyed.remark
    where repeated.latest_file_order is null
        or repeated.latest_file_order = keyed.file_order

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
        _export_time,
        _loaded_at
    from latest

)

select * from final
