-- Every ticket that reached staging carries only standard tags (the ingest rejects the others): the tags
-- found through the seed, re-joined, must give back the whole reason_tags text. Returns the offenders.
with

tickets as (

    select * from {{ ref('stg_aftersales__tickets') }}

),

found as (

    select ticket_no, {{ dbt.listagg('reason_tag', "';'", 'order by tag_position') }} as rebuilt
    from {{ ref('int_aftersales_ticket_tags') }}
    group by ticket_no

)

select tickets.ticket_no, tickets.reason_tags, found.rebuilt
from tickets
left join found on found.ticket_no = tickets.ticket_no
where found.rebuilt is null or found.rebuilt <> tickets.reason_tags
