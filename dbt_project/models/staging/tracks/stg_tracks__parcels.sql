-- A view of the latest pushes (stg_tracks__pushes, push_rank = 1), which carry their node summary: nothing
-- to store or to keep incremental here (it follows stg_tracks__pushes). Before, the parcels aggregated the
-- latest push's rows of stg_tracks__track_nodes: 5.6M node rows written and read again at 1M orders
-- (bench/RESULTS.md, issue 6).
{{ config(materialized='view') }}

-- One row per tracking number, from its latest push: carrier, latest 快递100 state, newest and first
-- node time, and signed_at = the time of the first node with state 3 (签收). A number whose pushes
-- all have an empty history still gets a row (node times null).
with

pushes as (

    select * from {{ ref('stg_tracks__pushes') }}
    where push_rank = 1

),

final as (

    select
        tracking_no,
        carrier,
        state_provider,
        coalesce(push_state, latest_node_state) as latest_state,
        latest_node_state,
        push_status,
        is_check,
        latest_node_at,
        first_node_at,
        signed_at,
        latest_context,
        latest_area_name,
        nodes,
        pushes,
        _source_file,
        _export_time,
        _loaded_at
    from pushes

)

select * from final
