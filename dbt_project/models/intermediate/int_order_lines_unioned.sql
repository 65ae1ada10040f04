-- Every platform's order lines in one shape (current state: each staging model keeps the latest export).
with

douyin as (

    select order_key, 'douyin' as platform, order_no, line_no, sku, product_title, quantity, line_amount,
        line_amount = 0 as is_gift
    from {{ ref('stg_douyin__order_lines') }}

),

pinduoduo as (

    -- 拼多多 exports one row per order: the order is its single line
    select order_key, 'pinduoduo' as platform, order_no, '1' as line_no, sku, product_title, quantity,
        goods_amount as line_amount, goods_amount = 0 as is_gift
    from {{ ref('stg_pinduoduo__orders') }}

),

taobao as (

    select order_key, 'taobao' as platform, order_no, line_no, sku, product_title, quantity, line_amount,
        line_amount = 0 as is_gift
    from {{ ref('stg_taobao__order_lines') }}

),

miniprogram as (

    select order_key, 'miniprogram' as platform, order_no, line_no, sku, product_title, quantity, line_amount,
        is_gift
    from {{ ref('stg_miniprogram__order_lines') }}

),

erp as (

    select order_key, 'erp' as platform, order_no, line_no, sku, cast(null as {{ dbt.type_string() }}) as product_title,
        quantity, line_amount, false as is_gift
    from {{ ref('stg_erp__order_lines') }}

),

final as (

    select * from douyin
    union all
    select * from pinduoduo
    union all
    select * from taobao
    union all
    select * from miniprogram
    union all
    select * from erp

)

select * from final
