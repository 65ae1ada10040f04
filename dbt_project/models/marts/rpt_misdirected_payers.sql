-- Payers with 2 or more payment_without_order rows (CONTRACT §2.1): money that names no known order,
-- to be returned, from payers who keep doing it. first_seen / last_seen: payment dates of those rows
-- (a receipt carries a date, not a time).
with

orphans as (

    select * from {{ ref('fct_three_way_match') }}
    where difference_type = 'payment_without_order'
        and payer_name is not null

),

final as (

    select
        payer_name,
        count(*) as orphan_payments,
        cast(sum(paid_amount) as decimal(18, 2)) as orphan_amount,
        cast(min(item_at) as date) as first_seen,
        cast(max(item_at) as date) as last_seen
    from orphans
    group by payer_name
    having count(*) >= 2

)

select * from final
