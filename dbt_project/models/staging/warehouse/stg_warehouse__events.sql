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
-- And that work is done only on the files that CAN share an event (profiled: the 10-column aggregate and the
-- ranked copy of every row were ~2/3 of the model's CPU at 1M orders, with no repeated event at all): two
-- copies of one event have the same warehouse and the same event_time, so each lies in both files' spans of
-- event time for that warehouse. Files whose spans overlap another file's (a re-export, a late log), and
-- files with an event without a time, go through the de-duplication; the rows of every other file are kept
-- as they are. Same rows as the de-duplication of all files.
with

source as (

    select * from {{ source('raw', 'warehouse_log') }}
    {{ changed_keys_filter('order_no', source('raw', 'warehouse_log')) }}

),

file_spans as (

    -- each file's span of event time per warehouse (a few thousand rows)
    select
        _file_sha256,
        warehouse_code,
        min(event_time) as first_event_at,
        max(event_time) as last_event_at,
        count(*) - count(event_time) as untimed_events
    from source
    group by _file_sha256, warehouse_code

),

overlapping_files as (

    -- the files that may hold an event another file holds too
    select spans._file_sha256
    from file_spans as spans
    inner join file_spans as other
        on other._file_sha256 <> spans._file_sha256
        and other.warehouse_code is not distinct from spans.warehouse_code
        and spans.first_event_at <= other.last_event_at
        and other.first_event_at <= spans.last_event_at
    union
    select _file_sha256
    from file_spans
    where untimed_events > 0

),

candidates as (

    select *
    from source
    where _file_sha256 in (select _file_sha256 from overlapping_files)

),

files as (

    select
        _file_sha256,
        _loaded_at,
        row_number() over (order by _export_time desc, _loaded_at desc, _file_sha256 desc) as file_order
    from (
        select distinct _file_sha256, _export_time, _loaded_at
        from candidates
    ) as loaded_files

),

keyed as (

    select
        candidates.*,
        files.file_order
    from candidates
    inner join files
        on files._file_sha256 = candidates._file_sha256
        and files._loaded_at = candidates._loaded_at

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

deduplicated as (

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

latest as (

    -- the files no other file overlaps, as they are, and the de-duplicated rows of the others
    select
        event_time, event, platform, order_no, warehouse_code, operator, tracking_no, barcode, wave_no, remark,
        _source_file, _row_number, _export_time, _loaded_at
    from source
    where _file_sha256 not in (select _file_sha256 from overlapping_files)
    union all
    select
        event_time, event, platform, order_no, warehouse_code, operator, tracking_no, barcode, wave_no, remark,
        _source_file, _row_number, _export_time, _loaded_at
    from deduplicated

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
