-- After-sales attribution per ISO week (Monday 00:00 to Sunday 23:59:59 of applied_at) × reason tag.
-- tickets = the tag's tickets; share_of_tickets = tickets / the week's tickets (a ticket with two tags
-- counts once in the week and once per tag, so shares may sum above 1). rank 1..n by tickets, ties by
-- tag (code-point order). top_* = the most frequent value among the tag's tickets and its share, ties by
-- value with a missing value (no warehouse, not yet out) first, as ''. avg_handling_minutes = mean of the
-- resolved tickets' (resolved_at - applied_at), null when none is resolved.
{% set dimensions = ['sku', 'category', 'warehouse_code', 'hour_slot'] %}
with

tickets as (

    select
        ticket_no,
        -- the Monday of applied_at's ISO week (date_trunc('week') is Monday-based on DuckDB, Postgres, Spark)
        cast({{ dbt.date_trunc('week', 'applied_at') }} as date) as week_start,
        applied_at,
        resolved_at,
        sku,
        category,
        warehouse_code,
        hour_slot
    from {{ ref('fct_aftersales') }}

),

ticket_tags as (

    select * from {{ ref('int_aftersales_ticket_tags') }}

),

tagged as (

    select
        tickets.week_start,
        ticket_tags.reason_tag,
        tickets.ticket_no,
        tickets.sku,
        tickets.category,
        tickets.warehouse_code,
        tickets.hour_slot,
        case when tickets.resolved_at is not null then
            {{ dbt.datediff('tickets.applied_at', 'tickets.resolved_at', 'second') }}
        end as handling_seconds
    from tickets
    inner join ticket_tags on ticket_tags.ticket_no = tickets.ticket_no

),

week_totals as (

    select week_start, count(*) as week_tickets
    from tickets
    group by week_start

),

tag_totals as (

    select
        week_start,
        reason_tag,
        count(*) as tickets,
        sum(handling_seconds) as handling_seconds,
        count(handling_seconds) as resolved_tickets
    from tagged
    group by week_start, reason_tag

),

{% for dim in dimensions %}
top_{{ dim }} as (

    select
        week_start,
        reason_tag,
        {{ dim }} as top_value,
        tickets as top_tickets
    from (
        select
            week_start,
            reason_tag,
            {{ dim }},
            count(*) as tickets,
            row_number() over (
                partition by week_start, reason_tag
                order by count(*) desc, coalesce({{ dim }}, '')
            ) as value_rank
        from tagged
        group by week_start, reason_tag, {{ dim }}
    ) as counted
    where value_rank = 1

),

{% endfor %}
final as (

    select
        tag_totals.week_start,
        tag_totals.reason_tag,
        tag_totals.tickets,
        cast(tag_totals.tickets as {{ type_double() }}) / week_totals.week_tickets as share_of_tickets,
        -- bigint as the contract says: row_number() is bigint on DuckDB, int on Spark
        cast(row_number() over (
            partition by tag_totals.week_start
            order by tag_totals.tickets desc, tag_totals.reason_tag
        ) as {{ dbt.type_bigint() }}) as rank,
        {% for dim in dimensions %}
        {% set column = 'warehouse' if dim == 'warehouse_code' else dim %}
        top_{{ dim }}.top_value as top_{{ column }},
        cast(top_{{ dim }}.top_tickets as {{ type_double() }}) / tag_totals.tickets as top_{{ column }}_share,
        {% endfor %}
        case when tag_totals.resolved_tickets > 0 then
            cast(tag_totals.handling_seconds as {{ type_double() }}) / tag_totals.resolved_tickets / 60
        end as avg_handling_minutes
    from tag_totals
    inner join week_totals on week_totals.week_start = tag_totals.week_start
    {% for dim in dimensions %}
    inner join top_{{ dim }}
        on top_{{ dim }}.week_start = tag_totals.week_start
        and top_{{ dim }}.reason_tag = tag_totals.reason_tag
    {% endfor %}

)

select * from final
