-- Materialised as a table, not a view like the rest of staging: a window function over millions of raw
-- rows that several models and a dozen data tests read; as a view each reader recomputed it (bench/RESULTS.md).
{{ config(materialized='table') }}

-- 快递100 track nodes, current state: for each tracking number the nodes of its latest push only
-- (a later push carries the whole history and supersedes the earlier ones). The latest push is the
-- one with the newest node, then the latest export/load, then the file and the push's position.
with

source as (

    select * from {{ source('raw', 'tracks') }}

),

ranked_pushes as (

    select
        *,
        dense_rank() over (
            partition by tracking_no
            order by
                case when push_latest_at is null then 1 else 0 end,
                push_latest_at desc,
                _export_time desc,
                _loaded_at desc,
                _file_sha256 desc,
                push_index desc
        ) as push_rank
    from source

),

latest_nodes as (

    select
        *,
        row_number() over (
            partition by tracking_no, node_index
            order by _row_number
        ) as node_rank
    from ranked_pushes
    where push_rank = 1
        and node_index is not null

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
        _export_time
    from latest_nodes
    where node_rank = 1

)

select * from final
