-- One row per after-sales ticket applied up to as_of, associated with its order: the ordered lines vs
-- the items scanned out (expected_items / shipped_items / item_discrepancy), the warehouse (first 审单) and
-- the first 出库 that shipped it (outbound_at, hour_slot), its tracking numbers and latest courier state,
-- its settlement payments, its payments of both streams with the three-way match status, and the customer's number of earlier orders (same customer_key, paid before).
-- reason_tags is a list (ordered_list_agg), in the order written; only the 8 standard tags exist (seed).
with

tickets as (

    select * from {{ ref('stg_aftersales__tickets') }}
    where applied_at <= {{ as_of() }}

),

ticket_tags as (

    select * from {{ ref('int_aftersales_ticket_tags') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

products as (

    select * from {{ ref('stg_products__products') }}

),

outbound as (

    select * from {{ ref('int_order_outbound') }}

),

lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

compared as (

    select * from {{ ref('int_order_item_comparison') }}

),

order_tracking as (

    select * from {{ ref('int_order_tracking_numbers') }}

),

parcels as (

    select * from {{ ref('stg_tracks__parcels') }}

),

settlements as (

    select * from {{ ref('stg_settlements__payments') }}
    where settled_at <= {{ as_of() }}

),

ticket_orders as (

    select distinct order_key from tickets

),

tag_lists as (

    select
        ticket_no,
        {{ ordered_list_agg('reason_tag', 'tag_position') }} as reason_tags
    from ticket_tags
    group by ticket_no

),

customer_history as (

    -- the customer's orders paid strictly before this order was paid
    select
        o.order_key,
        count(earlier.order_key) as customer_orders_before
    from orders as o
    inner join ticket_orders on ticket_orders.order_key = o.order_key
    left join orders as earlier
        on earlier.customer_key = o.customer_key
        and earlier.paid_at < o.paid_at
    group by o.order_key

),

expected_items as (

    select
        lines.order_key,
        {{ dbt.listagg(dbt.concat(["lines.sku", "'×'", "cast(lines.quantity as " ~ dbt.type_string() ~ ")"]), "';'", "order by lines.sku") }}
            as expected_items
    from (
        select order_key, sku, sum(quantity) as quantity
        from lines
        where order_key in (select order_key from ticket_orders)
        group by order_key, sku
    ) as lines
    group by lines.order_key

),

shipped_items as (

    select
        order_key,
        {{ dbt.listagg(dbt.concat(["sku", "'×'", "cast(shipped_qty as " ~ dbt.type_string() ~ ")"]), "';'", "order by sku") }}
            as shipped_items
    from compared
    where shipped_qty > 0
        and order_key in (select order_key from ticket_orders)
    group by order_key

),

discrepancies as (

    select
        order_key,
        {{ dbt.listagg('difference_text', "'; '", 'order by sku') }} as item_discrepancy
    from (
        select
            order_key,
            sku,
            case difference
                when 'missing_gift' then {{ dbt.concat(["'missing gift '", "sku", "'×'", "cast(expected_qty as " ~ dbt.type_string() ~ ")"]) }}
                when 'missing' then {{ dbt.concat(["'missing '", "sku", "'×'", "cast(expected_qty as " ~ dbt.type_string() ~ ")"]) }}
                when 'extra' then {{ dbt.concat(["'extra '", "sku", "'×'", "cast(shipped_qty as " ~ dbt.type_string() ~ ")"]) }}
                when 'quantity' then {{ dbt.concat(["sku", "' ordered '", "cast(expected_qty as " ~ dbt.type_string() ~ ")", "', scanned '", "cast(shipped_qty as " ~ dbt.type_string() ~ ")"]) }}
            end as difference_text
        from compared
        where difference is not null
            and order_key in (select order_key from ticket_orders)
    ) as differences
    group by order_key

),

courier_state as (

    -- 3 (签收) when any parcel is signed, else the latest state of the most recently updated parcel
    select
        order_key,
        case
            when max(case when latest_state = '3' then 1 else 0 end) = 1 then '3'
            else max(case when update_rank = 1 then latest_state end)
        end as logistics_state
    from (
        select
            order_tracking.order_key,
            parcels.latest_state,
            row_number() over (
                partition by order_tracking.order_key
                order by parcels.latest_node_at desc nulls last, order_tracking.tracking_no desc
            ) as update_rank
        from order_tracking
        inner join ticket_orders on ticket_orders.order_key = order_tracking.order_key
        inner join parcels on parcels.tracking_no = order_tracking.tracking_no
    ) as ranked
    group by order_key

),

payments as (

    select order_key, sum(amount) as settled_amount
    from settlements
    where order_key in (select order_key from ticket_orders)
    group by order_key

),

reconciliation as (

    -- every counted payment of the order, both streams (settlements and confirmed bank receipts), as the
    -- three-way match allocated it
    select order_key, payment_refs, paid_amount, match_status, difference_type
    from {{ ref('fct_three_way_match') }}
    where order_key in (select order_key from ticket_orders)
        and item_type = 'order'

),

final as (

    select
        tickets.ticket_no,
        tickets.order_key,
        tickets.platform,
        tickets.order_no,
        tickets.sku,
        products.category,
        orders.warehouse_code,
        tag_lists.reason_tags,
        tickets.applied_at,
        case when tickets.resolved_at <= {{ as_of() }} then tickets.resolved_at end as resolved_at,
        case when tickets.resolved_at <= {{ as_of() }} then
            cast({{ dbt.datediff('tickets.applied_at', 'tickets.resolved_at', 'second') }} as {{ type_double() }}) / 60
        end as handling_minutes,
        cast(tickets.refund_amount as decimal(18, 2)) as refund_amount,
        tickets.resolution,
        tickets.note,
        customer_history.customer_orders_before,
        expected_items.expected_items,
        shipped_items.shipped_items,
        discrepancies.item_discrepancy,
        cast({{ dbt.date_trunc('week', 'tickets.applied_at') }} as date) as week_start,
        outbound.outbound_at,
        {{ two_hour_slot('outbound.outbound_at') }} as hour_slot,
        orders.paid_at,
        orders.order_amount,
        orders.is_gift_included,
        orders.status as order_status,
        orders.tracking_nos,
        courier_state.logistics_state,
        cast(payments.settled_amount as decimal(18, 2)) as settled_amount,
        reconciliation.payment_refs,
        cast(reconciliation.paid_amount as decimal(18, 2)) as paid_amount,
        reconciliation.match_status,
        reconciliation.difference_type
    from tickets
    left join tag_lists on tag_lists.ticket_no = tickets.ticket_no
    left join orders on orders.order_key = tickets.order_key
    left join products on products.sku = tickets.sku
    left join outbound on outbound.order_key = tickets.order_key
    left join customer_history on customer_history.order_key = tickets.order_key
    left join expected_items on expected_items.order_key = tickets.order_key
    left join shipped_items on shipped_items.order_key = tickets.order_key
    left join discrepancies on discrepancies.order_key = tickets.order_key
    left join courier_state on courier_state.order_key = tickets.order_key
    left join payments on payments.order_key = tickets.order_key
    left join reconciliation on reconciliation.order_key = tickets.order_key

)

select * from final
