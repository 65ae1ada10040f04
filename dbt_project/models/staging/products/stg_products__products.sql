-- SKU catalogue, one row per 商家编码 from its latest file (within a file, the last row).
with

source as (

    select * from {{ source('raw', 'products') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by sku
            order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number desc
        ) as sku_rank
    from source

),

final as (

    select
        sku,
        product_name,
        category,
        barcode,
        supplier,
        cost_price,
        _source_file,
        _row_number,
        _export_time
    from ranked
    where sku_rank = 1

)

select * from final
