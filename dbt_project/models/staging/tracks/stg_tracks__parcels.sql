-- Materialised as a table, not a view like the rest of staging: five models and a dozen data tests read it
-- (bench/RESULTS.md). The pushes and their ranking come from stg_tracks__pushes (computed once).
-- Incremental (issue 11): a run recomputes only the tracking numbers with a push loaded since the last build;
-- a table on Spark (docs/incremental.md).
{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    incremental_strategy='delete+insert',
    unique_key='tracking_no',
) }}

-- One row per tracking number, from its latest push: carrier, latest 快递100 state, newest and first
-- node time, and signed_at = the time of the first node with state 3 (签收). A number whose pushes
-- all have an empty history still gets a row (node times null).
with

nodes as (

    select * from {{ ref('stg_tracks__track_nodes') }}
    {{ changed_keys_filter('tracking_no', ref('stg_tracks__pushes')) }}

),

pushes as (

    select * from {{ ref('stg_tracks__pushes') }}
    {{ changed_keys_filter('tracking_no', ref('stg_tracks__pushes')) }}

),

node_summary as (

    select
        tracking_no,
        min(node_time) as first_node_at,
        max(node_time) as latest_node_at,
        min(case when node_state = '3' then node_time end) as signed_at,
        max(case when node_index = 0 then node_state end) as latest_node_state,
        max(case when node_index = 0 then context end) as latest_context,
        max(case when node_index = 0 then area_name end) as latest_area_name,
        count(*) as nodes
    from nodes
    group by tracking_no

),

final as (

    select
        p.tracking_no,
        p.carrier,
        p.state_provider,
        coalesce(p.push_state, s.latest_node_state) as latest_state,
        s.latest_node_state,
        p.push_status,
        p.is_check,
        s.latest_node_at,
        s.first_node_at,
        s.signed_at,
        s.latest_context,
        s.latest_area_name,
        coalesce(s.nodes, 0) as nodes,
        p.pushes,
        p._source_file,
        p._export_time,
        p._loaded_at
    from pushes as p
    left join node_summary as s
        on s.tracking_no = p.tracking_no
    where p.push_rank = 1

)

select * from final
