-- Every 快递100 track node of every tracking number (latest push only), newest first per number, for the
-- order lookup's "every track node". state is the node's 快递100 state code.
with

nodes as (

    select * from {{ ref('stg_tracks__track_nodes') }}

),

final as (

    select
        tracking_no,
        carrier,
        node_index,
        node_time,
        node_state as state,
        context,
        area_name
    from nodes

)

select * from final
