-- Every distinct payment of both streams, one row each: platform settlement rows (one row per
-- platform + 结算单号 + 订单号; a negative row is a refund after settlement and reduces the paid total)
-- and bank receipts (one row per distinct receipt, re-prints merged upstream). is_counted = false for a
-- receipt still under review: it is no payment until a person confirms it.
-- payment_seq orders the payments by payment time (then reference): the allocation of a payment naming
-- several orders subtracts what earlier payments already covered.
with

settlements as (

    select * from {{ ref('stg_settlements__payments') }}
    where settled_at <= {{ as_of() }}

),

receipts as (

    select * from {{ ref('int_receipt_payments') }}

),

settlement_payments as (

    select
        payment_ref,
        'settlement' as payment_kind,
        platform,
        settled_at as paid_at,
        cast(amount as decimal(18, 2)) as amount,
        cast(null as {{ dbt.type_string() }}) as payer_name,
        order_no as order_nos_named,
        true as is_counted
    from settlements

),

unioned as (

    select * from settlement_payments
    union all
    select
        payment_ref,
        payment_kind,
        platform,
        paid_at,
        amount,
        payer_name,
        order_nos_named,
        is_counted
    from receipts

),

final as (

    select
        *,
        row_number() over (order by paid_at, payment_ref) as payment_seq
    from unioned

)

select * from final
