-- After-sales tickets, current state: one row per 售后单号 from its latest file
-- (latest wins, by export time then load time; within a file the last row).
with

source as (

    select * from {{ source('raw', 'aftersales_tickets') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by ticket_no
            order by _export_time desc, _loaded_at desc, _file_sha256 desc, _row_number desc
        ) as ticket_rank
    from source

),

final as (

    select
        ticket_no,
        platform,
        order_no,
        {{ dbt.concat(["platform", "':'", "order_no"]) }} as order_key,
        sku,
        applied_at,
        reason_tags,
        reason_tags_raw,
        note,
        resolved_at,
        resolution,
        refund_amount,
        _source_file,
        _row_number,
        _export_time
    from ranked
    where ticket_rank = 1

)

select * from final
