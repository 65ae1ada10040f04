-- One row per order with at least one customer-service inquiry by as_of: the first inquiry (any type),
-- how many inquiries and how many of them were 物流查询. Inquiries without an order number are not here.
with

inquiries as (

    select * from {{ ref('stg_inquiries__inquiries') }}
    where order_key is not null
        and asked_at <= {{ as_of() }}

),

final as (

    select
        order_key,
        min(asked_at) as first_inquiry_at,
        cast(min(asked_at) as date) as first_inquiry_day,
        count(*) as inquiries,
        sum(case when topic = '物流查询' then 1 else 0 end) as logistics_inquiries
    from inquiries
    group by order_key

)

select * from final
