-- Person corrections and confirmations of receipts (docs/receipts.md), one row per corrections-file row.
-- A row names its receipt by file (path under the landing zone, or the bare file name) or by 回单编号.
with

source as (

    select * from {{ source('raw', 'receipt_corrections') }}

),

final as (

    select
        {{ dbt.concat(['_source_file', "':'", dbt.safe_cast('_row_number', dbt.type_string())]) }} as correction_ref,
        nullif(trim(source_file), '') as target_file,
        nullif(trim(receipt_no), '') as target_receipt_no,
        field,
        value,
        confirmed_by,
        confirmed_at,
        note,
        _source_file as corrections_file,
        _row_number as row_number
    from source

)

select * from final
