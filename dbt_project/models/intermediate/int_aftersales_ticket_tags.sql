-- One row per after-sales ticket × reason tag. The tags are exploded by joining the seed of the 8 standard
-- tags (a tag is in the ticket when ';tag;' occurs in ';' || reason_tags || ';'), which needs no list type
-- and lets nothing but a standard tag through; tag_position keeps the order the tags were written in.
with

tickets as (

    select * from {{ ref('stg_aftersales__tickets') }}

),

reason_tags as (

    select * from {{ ref('aftersales_reason_tags') }}

),

matched as (

    select
        tickets.ticket_no,
        reason_tags.reason_tag,
        reason_tags.tag_order,
        {{ dbt.position(
            dbt.concat(["';'", "reason_tags.reason_tag", "';'"]),
            dbt.concat(["';'", "tickets.reason_tags", "';'"])
        ) }} as tag_position
    from tickets
    cross join reason_tags

),

final as (

    select
        ticket_no,
        reason_tag,
        tag_order,
        tag_position
    from matched
    where tag_position > 0

)

select * from final
