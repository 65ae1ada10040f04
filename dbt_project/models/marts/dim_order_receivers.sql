-- One row per order with its receiver as the platform exported it (personal data: the dashboards mask
-- it for roles without the `pii` permission). phone_last4 = the last 4 characters of the phone, what a
-- warehouse clerk or a caller reads out (抖店 phones are exported masked, 138****5678, so only those 4
-- digits are ever known). 淘宝 and ERP give the address as one text; the others give its parts.
with

douyin_lines as (

    select * from {{ ref('stg_douyin__order_lines') }}

),

douyin as (

    select
        order_key,
        max(receiver_name) as receiver_name,
        max(receiver_phone) as receiver_phone,
        max({{ dbt.concat([
            "coalesce(province, '')", "coalesce(city, '')", "coalesce(district, '')",
            "coalesce(street, '')", "coalesce(address, '')"]) }}) as receiver_address
    from douyin_lines
    group by order_key

),

pinduoduo as (

    select
        order_key,
        receiver_name,
        receiver_phone,
        {{ dbt.concat([
            "coalesce(province, '')", "coalesce(city, '')", "coalesce(district, '')",
            "coalesce(street, '')"]) }} as receiver_address
    from {{ ref('stg_pinduoduo__orders') }}

),

taobao as (

    select order_key, receiver_name, receiver_phone, address as receiver_address
    from {{ ref('stg_taobao__orders') }}

),

miniprogram as (

    select
        order_key,
        max(receiver_name) as receiver_name,
        max(receiver_phone) as receiver_phone,
        max({{ dbt.concat([
            "coalesce(province, '')", "coalesce(city, '')", "coalesce(district, '')",
            "coalesce(address, '')"]) }}) as receiver_address
    from {{ ref('stg_miniprogram__order_lines') }}
    group by order_key

),

erp as (

    select
        order_key,
        max(contact_name) as receiver_name,
        max(contact_phone) as receiver_phone,
        max(address) as receiver_address
    from {{ ref('stg_erp__order_lines') }}
    group by order_key

),

unioned as (

    select * from douyin
    union all
    select * from pinduoduo
    union all
    select * from taobao
    union all
    select * from miniprogram
    union all
    select * from erp

),

final as (

    select
        order_key,
        receiver_name,
        receiver_phone,
        case when receiver_phone is not null then {{ dbt.right('trim(receiver_phone)', 4) }} end as phone_last4,
        nullif(receiver_address, '') as receiver_address
    from unioned

)

select * from final
