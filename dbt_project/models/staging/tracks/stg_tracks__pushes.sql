-- Materialised as a table: the latest-push choice that stg_tracks__track_nodes and stg_tracks__parcels both
-- need, computed once on the pushes (1 row per push) instead of a window over every raw node row. Each push
-- carries the summary of its nodes (one aggregate over the raw rows), so the parcels are the latest pushes
-- and need no node table: the fulfilment marts never write or read the 5.6M node rows at 1M orders
-- (profiled: bench/profile_dbt_models.py, bench/RESULTS.md).
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

    -- one row per push: (_file_sha256, push_index) is one push of one number (tested unique below); the raw
    -- table repeats the push's own fields on each of its node rows, so max() picks that one value
    select
        tracking_no,
        _file_sha256,
        _loaded_at,
        push_index,
        is_check,
        max(carrier) as carrier,
        max(state_provider) as state_provider,
        max(push_status) as push_status,
        max(push_state) as push_state,
        max(push_latest_at) as push_latest_at,
        max(node_count) as node_count,
        max(_source_file) as _source_file,
        max(_export_time) as _export_time,
        -- the push's nodes (rows with a node_index; a push without nodes has one row without)
        min(case when node_index is not null then node_time end) as first_node_at,
        max(case when node_index is not null then node_time end) as latest_node_at,
        min(case when node_index is not null and node_state = '3' then node_time end) as signed_at,
        max(case when node_index = 0 then node_state end) as latest_node_state,
        max(case when node_index = 0 then context end) as latest_context,
        max(case when node_index = 0 then area_name end) as latest_area_name,
        count(node_index) as nodes
    from source
    group by tracking_no, _file_sha256, _loaded_at, push_index, is_check

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
