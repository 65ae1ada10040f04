with

source as (

    select * from {{ source('raw_audit', 'rejected_rows') }}

),

final as (

    select
        source_file,
        row_number,
        source,
        reason,
        raw
    from source

)

select * from final
