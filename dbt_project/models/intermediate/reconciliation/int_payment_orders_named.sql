-- Payment × order it names, for counted payments: settlement rows name one order (platform + 订单号);
-- a receipt names zero, one or several order numbers in 用途/摘要 (space-separated, up to 20), resolved
-- against the orders of every platform (an ERP order first when two platforms share a number). A number
-- named twice counts at its first position; unknown numbers are dropped here (a payment left with no
-- known order is a payment_without_order row of the match). position = 1..n_orders in the order named.
with

payments as (

    select * from {{ ref('int_payments_unioned') }}
    where is_counted

),

orders as (

    select order_key, platform, order_no, order_amount from {{ ref('int_orders_unioned') }}

),

positions as (

    {% for n in range(1, 21) %}
    select {{ n }} as position{% if not loop.last %} union all{% endif %}
    {% endfor %}

),

settlement_names as (

    select
        p.payment_ref,
        1 as named_position,
        o.order_key,
        o.order_no,
        o.order_amount
    from payments as p
    inner join orders as o
        on o.order_key = {{ dbt.concat(["p.platform", "':'", "p.order_nos_named"]) }}
    where p.payment_kind = 'settlement'

),

receipt_tokens as (

    select
        p.payment_ref,
        n.position as named_position,
        {{ dbt.split_part('p.order_nos_named', "' '", 'n.position') }} as order_no
    from payments as p
    cross join positions as n
    where p.payment_kind = 'receipt'
        and p.order_nos_named is not null

),

receipt_matches as (

    select
        t.payment_ref,
        t.named_position,
        o.order_key,
        o.order_no,
        o.order_amount,
        row_number() over (
            partition by t.payment_ref, t.order_no
            order by case when o.platform = 'erp' then 0 else 1 end, o.platform, t.named_position
        ) as name_rank
    from receipt_tokens as t
    inner join orders as o
        on o.order_no = t.order_no
    where t.order_no is not null and t.order_no <> ''

),

receipt_named as (

    select payment_ref, named_position, order_key, order_no, order_amount
    from receipt_matches
    where name_rank = 1

),

final as (

    -- a settlement row names exactly one order
    select
        payment_ref,
        order_key,
        order_no,
        cast(order_amount as decimal(18, 2)) as order_amount,
        cast(1 as bigint) as position,
        cast(1 as bigint) as n_orders
    from settlement_names

    union all

    select
        payment_ref,
        order_key,
        order_no,
        cast(order_amount as decimal(18, 2)) as order_amount,
        row_number() over (partition by payment_ref order by named_position) as position,
        count(*) over (partition by payment_ref) as n_orders
    from receipt_named

)

select * from final
