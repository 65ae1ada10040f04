-- Conservation of the three-way match, by stream (what comes in = what lands, exactly once):
--   orders    every order is either one row of fct_three_way_match (in scope) or outside the scope
--             (unpaid, cancelled, refunded); no order has two rows, no out-of-scope order has one;
--   payments  every distinct payment (settlement row, receipt) is either allocated in full to the orders
--             it names, or one payment_without_order row, or under review (not counted); never two of these;
--   tracking  every tracking number (pushed or scanned) is either linked to an order or one
--             logistics_without_order row; never both.
-- One row per stream; items_in must equal items_out and violations must be 0 (the singular test
-- assert_three_way_match_conserves_streams fails the build otherwise).
with

matches as (

    select * from {{ ref('fct_three_way_match') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

payments as (

    select * from {{ ref('int_payments_unioned') }}

),

allocations as (

    select * from {{ ref('int_payment_allocations') }}

),

order_tracking as (

    select * from {{ ref('int_order_tracking_numbers') }}

),

parcels as (

    select * from {{ ref('stg_tracks__parcels') }}

),

-- orders ---------------------------------------------------------------------------------------------
order_rows as (

    select order_key, count(*) as copies
    from matches
    where item_type = 'order'
    group by order_key

),

order_classes as (

    select
        o.order_key,
        case when o.paid_at is not null and o.status not in ('cancelled', 'refunded', 'pending_payment')
            then 1 else 0 end as expected_in_scope,
        coalesce(r.copies, 0) as copies
    from orders as o
    left join order_rows as r
        on r.order_key = o.order_key

),

order_stream as (

    select
        'orders' as stream,
        (select count(*) from orders) as items_in,
        sum(case when copies = 1 then 1 else 0 end) as items_in_rows,
        sum(case when copies = 0 and expected_in_scope = 0 then 1 else 0 end) as items_outside,
        cast(0 as bigint) as items_under_review,
        sum(case when copies <> expected_in_scope then 1 else 0 end)
            + (select count(*) from order_rows where order_key not in (select order_key from orders))
            as violations
    from order_classes

),

-- payments -------------------------------------------------------------------------------------------
allocated as (

    select payment_ref, sum(allocated_amount) as allocated_amount, count(*) as orders_named
    from allocations
    group by payment_ref

),

orphan_payment_rows as (

    select match_key as payment_ref, count(*) as copies
    from matches
    where item_type = 'payment'
    group by match_key

),

payment_classes as (

    select
        p.payment_ref,
        p.is_counted,
        case when a.payment_ref is not null and a.allocated_amount = p.amount then 1 else 0 end as is_allocated,
        case when a.payment_ref is not null and a.allocated_amount <> p.amount then 1 else 0 end as is_unbalanced,
        coalesce(r.copies, 0) as orphan_rows
    from payments as p
    left join allocated as a
        on a.payment_ref = p.payment_ref
    left join orphan_payment_rows as r
        on r.payment_ref = p.payment_ref

),

payment_stream as (

    select
        'payments' as stream,
        (select count(*) from payments) as items_in,
        sum(case when is_counted and is_allocated + orphan_rows = 1 then 1 else 0 end) as items_in_rows,
        cast(0 as bigint) as items_outside,
        sum(case when not is_counted and is_allocated + orphan_rows = 0 then 1 else 0 end) as items_under_review,
        sum(case when is_unbalanced = 1 then 1 else 0 end)
            + sum(case when is_counted and is_allocated + orphan_rows <> 1 then 1 else 0 end)
            + sum(case when not is_counted and is_allocated + orphan_rows <> 0 then 1 else 0 end)
            + (select count(*) from (select payment_ref from payments group by payment_ref having count(*) > 1) as d)
            + (select count(*) from orphan_payment_rows where payment_ref not in (select payment_ref from payments))
            as violations
    from payment_classes

),

-- tracking numbers -----------------------------------------------------------------------------------
tracking_numbers as (

    select tracking_no from parcels
    union
    select tracking_no from order_tracking

),

orphan_tracking_rows as (

    select tracking_nos as tracking_no, count(*) as copies
    from matches
    where item_type = 'tracking'
    group by tracking_nos

),

tracking_classes as (

    select
        t.tracking_no,
        case when exists (select 1 from order_tracking as l where l.tracking_no = t.tracking_no)
            then 1 else 0 end as is_linked,
        coalesce(r.copies, 0) as orphan_rows
    from tracking_numbers as t
    left join orphan_tracking_rows as r
        on r.tracking_no = t.tracking_no

),

tracking_stream as (

    select
        'tracking_numbers' as stream,
        (select count(*) from tracking_numbers) as items_in,
        sum(case when is_linked + orphan_rows = 1 then 1 else 0 end) as items_in_rows,
        cast(0 as bigint) as items_outside,
        cast(0 as bigint) as items_under_review,
        sum(case when is_linked + orphan_rows <> 1 then 1 else 0 end)
            + (select count(*) from orphan_tracking_rows where tracking_no not in (select tracking_no from tracking_numbers))
            as violations
    from tracking_classes

),

unioned as (

    select * from order_stream
    union all
    select * from payment_stream
    union all
    select * from tracking_stream

),

final as (

    select
        stream,
        cast(items_in as bigint) as items_in,
        cast(coalesce(items_in_rows, 0) as bigint) as items_in_rows,
        cast(coalesce(items_outside, 0) as bigint) as items_outside,
        cast(coalesce(items_under_review, 0) as bigint) as items_under_review,
        cast(coalesce(items_in_rows, 0) + coalesce(items_outside, 0) + coalesce(items_under_review, 0) as bigint)
            as items_out,
        cast(coalesce(violations, 0) as bigint) as violations
    from unioned

)

select * from final
