-- Stock snapshots, one row per snapshot time × warehouse × SKU (a snapshot repeated in several files:
-- the latest file wins).
with

source as (

    select * from {{ source('raw', 'inventory_snapshots') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by snapshot_at, warehouse_code, sku
            order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number desc
        ) as snapshot_rank
    from source

),

final as (

    select
        snapshot_at,
        warehouse_code,
        sku,
        available_qty,
        _source_file,
        _row_number,
        _export_time
    from ranked
    where snapshot_rank = 1

)

select * from final
