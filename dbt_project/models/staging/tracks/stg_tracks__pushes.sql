-- Materialised as a table: the latest-push choice that stg_tracks__track_nodes and stg_tracks__parcels both
-- need, computed once on the pushes (1 row per push) instead of a window over every raw node row.
-- Incremental (issue 11): a run recomputes only the tracking numbers with a push loaded since the last build
-- (all of their pushes, for the ranking and the count); a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='tracking_no',
) }}

-- 快递100 pushes: one row per push (the raw table repeats the push's fields on each of its nodes), with
-- push_rank = 1 for the latest push of its tracking number and pushes = how many pushes the number has.
-- Latest = newest node (push_latest_at, a push without nodes last), then the latest export, load, file and
-- position in the file. A file is loaded once (by SHA-256), so (_file_sha256, push_index) is one push.
with

source as (

    select * from {{ source('raw', 'tracks') }}
    {{ changed_keys_filter('tracking_no', source('raw', 'tracks')) }}

),

pushes as (

    select distinct
        tracking_no,
        carrier,
        state_provider,
        push_status,
        push_state,
        is_check,
        push_latest_at,
        node_count,
        push_index,
        _source_file,
        _file_sha256,
        _export_time,
        _loaded_at
    from source

),

final as (

    select
        *,
        row_number() over (
            partition by tracking_no
            order by
                case when push_latest_at is null then 1 else 0 end,
                push_latest_at desc,
                _export_time desc,
                _loaded_at desc,
                _file_sha256 desc,
                push_index desc
        ) as push_rank,
        count(*) over (partition by tracking_no) as pushes
    from pushes

)

select * from final
