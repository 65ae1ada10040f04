{{ config(materialized='view') }}
-- Every distinct state of every order across the exports seen by as_of (CONTRACT §2.1 "Order history"): the
-- states of int_order_export_states (all exports loaded, incremental) seen at or before as_of. Exports are
-- ordered by export time first, so this prefix has the state_seq and previous address a build on the exports
-- up to as_of gives.
select
    order_key,
    platform,
    order_no,
    state_seq,
    seen_at,
    loaded_at,
    source_file,
    status,
    status_raw,
    aftersale_status_raw,
    paid_at,
    shipped_at,
    tracking_nos,
    receiver_address,
    address_changed,
    state_hash
from {{ ref('int_order_export_states') }}
where seen_at <= {{ as_of() }}
