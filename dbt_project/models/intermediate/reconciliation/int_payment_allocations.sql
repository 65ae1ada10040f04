-- How much of each counted payment goes to each order it names (CONTRACT §2.1): in the order named,
-- each order gets up to its order_amount less what earlier payments (by payment time) already covered;
-- whatever is left goes to the last named order (an overpayment stays visible there). A payment naming
-- one order gives it all of its amount, whatever came before (a negative settlement row reduces the order's
-- paid total): almost every payment is settled without further work.
--
-- A payment naming several orders depends on what earlier payments gave those orders, so multi-order
-- payments are resolved in rounds by a recursive CTE: in each round, every unresolved one whose non-last
-- orders have no unresolved earlier multi-order payment is resolved at once (the earliest unresolved one
-- always qualifies, so each round makes progress; chains of multi-order receipts sharing orders take one
-- round per link). What single-order payments gave an order before is added up front. Within a payment the
-- shares follow from the running sum of the needs: allocated up to position j = least(amount, needs 1..j).
-- The rounds are the macro allocation_rounds: a recursive CTE on DuckDB, unrolled rounds on Spark.
with recursive

named as (

    select * from {{ ref('int_payment_orders_named') }}

),

payments as (

    select * from {{ ref('int_payments_unioned') }}
    where is_counted

),

pairs as (

    select
        n.payment_ref,
        p.payment_seq,
        p.paid_at,
        p.amount,
        n.order_key,
        n.order_no,
        n.order_amount,
        n.position,
        n.n_orders
    from named as n
    inner join payments as p
        on p.payment_ref = n.payment_ref

),

singles as (

    select * from pairs
    where n_orders = 1

),

multi as (

    select * from pairs
    where n_orders > 1

),

-- what single-order payments gave each order of a multi-order payment before it
multi_with_prior as (

    select
        m.payment_ref,
        m.payment_seq,
        m.paid_at,
        m.amount,
        m.order_key,
        m.order_no,
        m.order_amount,
        m.position,
        m.n_orders,
        coalesce(sum(s.amount), 0) as single_covered
    from multi as m
    left join singles as s
        on s.order_key = m.order_key
        and s.payment_seq < m.payment_seq
    group by m.payment_ref, m.payment_seq, m.paid_at, m.amount, m.order_key, m.order_no, m.order_amount,
        m.position, m.n_orders

),

{{ allocation_rounds('multi_with_prior') }},

last_round as (

    select max(round_no) as round_no from rounds

),

resolved as (

    select
        payment_ref,
        payment_seq,
        paid_at,
        order_key,
        order_no,
        position,
        n_orders,
        amount as allocated_amount,
        0 as rounds
    from singles

    union all

    select
        r.payment_ref,
        r.payment_seq,
        r.paid_at,
        r.order_key,
        r.order_no,
        r.position,
        r.n_orders,
        r.allocated as allocated_amount,
        r.round_no as rounds
    from rounds as r
    inner join last_round as l
        on l.round_no = r.round_no

),

final as (

    select
        payment_ref,
        payment_seq,
        paid_at,
        order_key,
        order_no,
        position,
        n_orders,
        cast(allocated_amount as decimal(18, 2)) as allocated_amount,
        rounds
    from resolved

)

select * from final
