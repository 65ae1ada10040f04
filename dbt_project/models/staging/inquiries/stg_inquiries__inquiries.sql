-- Customer-service inquiries. A contact logged in several files is kept once, from the latest file;
-- identical rows within one file are distinct contacts and all stay.
with

source as (

    select * from {{ source('raw', 'inquiries') }}

),

ranked as (

    select
        *,
        dense_rank() over (
            partition by asked_at, order_no, platform, channel, topic
            order by _export_time desc, _loaded_at desc, _file_sha256 desc
        ) as file_rank
    from source

),

final as (

    select
        asked_at,
        platform,
        order_no,
        case
            when order_no is not null then {{ dbt.concat(["platform", "':'", "order_no"]) }}
        end as order_key,
        channel,
        topic,
        _source_file,
        _row_number,
        _export_time
    from ranked
    where file_rank = 1

)

select * from final
