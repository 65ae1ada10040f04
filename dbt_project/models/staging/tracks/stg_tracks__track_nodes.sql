-- Materialised as a table, not a view like the rest of staging: several models and a dozen data tests read
-- it. The latest push is chosen on the pushes (stg_tracks__pushes, one row per push), then only its node
-- rows are taken from raw: no window over the millions of wide node rows (bench/RESULTS.md, issue 6).
-- Incremental (issue 11): a run recomputes only the tracking numbers with a push loaded since the last build;
-- a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='tracking_no',
) }}

-- 快递100 track nodes, current state: for each tracking number the nodes of its latest push only
-- (a later push carries the whole history and supersedes the earlier ones). The latest push is the
-- one with the newest node, then the latest export/load, then the file and the push's position.
-- A push lists each node once (node_index = its position in the push's data).
with

source as (

    select * from {{ source('raw', 'tracks') }}
    {{ changed_keys_filter('tracking_no', source('raw', 'tracks')) }}

),

latest_pushes as (

    select tracking_no, _file_sha256, _loaded_at, push_index
    from {{ ref('stg_tracks__pushes') }}
    where push_rank = 1

),

latest_nodes as (

    select source.*
    from source
    inner join latest_pushes
        on latest_pushes.tracking_no = source.tracking_no
        and latest_pushes._file_sha256 = source._file_sha256
        and latest_pushes._loaded_at = source._loaded_at
        and latest_pushes.push_index = source.push_index
    where source.node_index is not null

),

final as (

    select
        tracking_no,
        carrier,
        state_provider,
        node_index,
        node_time,
        node_ftime,
        context,
        node_state,
        area_name,
        push_status,
        push_state,
        is_check,
        push_latest_at,
        node_count,
        _source_file,
        _row_number,
        push_index,
        _export_time,
        _loaded_at
    from latest_nodes

)

select * from final
