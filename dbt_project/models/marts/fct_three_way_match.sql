-- Three-way match (CONTRACT §2.1): order ↔ logistics ↔ payment, linked by order number. One row per order
-- in scope (paid platform orders, placed B2B orders; never cancelled or refunded ones), one per counted
-- payment that names no known order (payment_without_order) and one per tracking number that belongs to no
-- order (logistics_without_order). An order is matched when one of its tracking numbers' latest state is 3
-- (签收) and its payments sum to order_amount within the tolerance; else pending with the first difference
-- that applies: no tracking number → shipped, no payment → not signed → amount differs.
{% set tolerance = var('reconciliation_tolerance', 0.01) %}
with

orders as (

    select * from {{ ref('fct_orders') }}

),

order_tracking as (

    select * from {{ ref('int_order_tracking_numbers') }}

),

parcels as (

    select * from {{ ref('stg_tracks__parcels') }}

),

payments as (

    select * from {{ ref('int_payments_unioned') }}
    where is_counted

),

allocations as (

    select * from {{ ref('int_payment_allocations') }}

),

named as (

    select * from {{ ref('int_payment_orders_named') }}

),

in_scope as (

    select *
    from orders
    where paid_at is not null
        and status not in ('cancelled', 'refunded', 'pending_payment')

),

order_parcels as (

    select
        t.order_key,
        t.tracking_no,
        t.first_scanned_at,
        p.latest_state,
        p.latest_node_at
    from order_tracking as t
    left join parcels as p
        on p.tracking_no = t.tracking_no

),

ranked_parcels as (

    select
        *,
        -- the most recently updated number (numbers without nodes last)
        row_number() over (
            partition by order_key
            order by case when latest_node_at is null then 1 else 0 end, latest_node_at desc, first_scanned_at,
                tracking_no
        ) as update_rank
    from order_parcels

),

logistics as (

    select
        order_key,
        max(case when latest_state = '3' then 1 else 0 end) = 1 as is_signed,
        max(case when update_rank = 1 and latest_node_at is not null then latest_state end) as latest_state
    from ranked_parcels
    group by order_key

),

payment_counts as (

    select
        order_key,
        sum(allocated_amount) as paid_amount,
        count(*) as allocation_rows,
        max(payment_ref) as only_payment_ref
    from allocations
    group by order_key

),

multi_payment_refs as (

    -- an ordered aggregate sorts each group: only for the orders paid by several payments (issue 6)
    select
        a.order_key,
        {{ dbt.listagg('a.payment_ref', "';'", 'order by a.payment_seq') }} as payment_refs
    from allocations as a
    inner join payment_counts as c
        on c.order_key = a.order_key
    where c.allocation_rows > 1
    group by a.order_key

),

order_payments as (

    select
        c.order_key,
        c.paid_amount,
        case when c.allocation_rows = 1 then c.only_payment_ref else m.payment_refs end as payment_refs
    from payment_counts as c
    left join multi_payment_refs as m
        on m.order_key = c.order_key

),

order_rows as (

    select
        o.order_key as match_key,
        'order' as item_type,
        o.order_key,
        o.platform,
        o.order_no,
        o.tracking_nos,
        p.payment_refs,
        o.order_amount,
        p.paid_amount,
        case when l.is_signed then '3' else l.latest_state end as logistics_state,
        o.paid_at as item_at,
        cast(null as {{ dbt.type_string() }}) as payer_name,
        case
            when o.tracking_nos is null then 'order_without_logistics'
            when p.order_key is null then 'logistics_without_payment'
            when not coalesce(l.is_signed, false) then 'logistics_not_signed'
            when abs(p.paid_amount - o.order_amount) > {{ tolerance }} then 'amount_mismatch'
        end as difference_type
    from in_scope as o
    left join logistics as l
        on l.order_key = o.order_key
    left join order_payments as p
        on p.order_key = o.order_key

),

orphan_payments as (

    select
        p.payment_ref as match_key,
        'payment' as item_type,
        cast(null as {{ dbt.type_string() }}) as order_key,
        p.platform,
        -- what the payment named (unknown order numbers), as written
        nullif(p.order_nos_named, '') as order_no,
        cast(null as {{ dbt.type_string() }}) as tracking_nos,
        p.payment_ref as payment_refs,
        cast(null as decimal(18, 2)) as order_amount,
        p.amount as paid_amount,
        cast(null as {{ dbt.type_string() }}) as logistics_state,
        p.paid_at as item_at,
        p.payer_name,
        'payment_without_order' as difference_type
    from payments as p
    where not exists (select 1 from named as n where n.payment_ref = p.payment_ref)

),

orphan_tracking as (

    select
        {{ dbt.concat(["'tracking:'", "p.tracking_no"]) }} as match_key,
        'tracking' as item_type,
        cast(null as {{ dbt.type_string() }}) as order_key,
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(null as {{ dbt.type_string() }}) as order_no,
        p.tracking_no as tracking_nos,
        cast(null as {{ dbt.type_string() }}) as payment_refs,
        cast(null as decimal(18, 2)) as order_amount,
        cast(null as decimal(18, 2)) as paid_amount,
        p.latest_state as logistics_state,
        p.latest_node_at as item_at,
        cast(null as {{ dbt.type_string() }}) as payer_name,
        'logistics_without_order' as difference_type
    from parcels as p
    where not exists (select 1 from order_tracking as t where t.tracking_no = p.tracking_no)

),

unioned as (

    select * from order_rows
    union all
    select * from orphan_payments
    union all
    select * from orphan_tracking

),

final as (

    select
        match_key,
        item_type,
        order_key,
        platform,
        order_no,
        tracking_nos,
        payment_refs,
        cast(order_amount as decimal(18, 2)) as order_amount,
        cast(paid_amount as decimal(18, 2)) as paid_amount,
        logistics_state,
        case when difference_type is null then 'matched' else 'pending' end as match_status,
        difference_type,
        case difference_type
            when 'order_without_logistics' then '物流组'
            when 'logistics_without_payment' then '销售组'
            when 'logistics_not_signed' then '物流组'
            when 'amount_mismatch' then '出纳组'
            when 'payment_without_order' then '出纳组'
            when 'logistics_without_order' then '物流组'
        end as responsible_team,
        item_at,
        payer_name
    from unioned

)

select * from final
