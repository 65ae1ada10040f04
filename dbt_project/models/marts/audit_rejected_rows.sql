-- Every input row that did not load, with a reason a person can act on (CONTRACT §0: nothing lost).
with

rejected as (

    select * from {{ ref('stg_audit__rejected_rows') }}

),

final as (

    select
        source_file,
        row_number,
        source,
        reason,
        raw
    from rejected

)

select * from final
