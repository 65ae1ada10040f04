-- One row per order line across platforms. Walking skeleton: 抖店 lines only; the
-- other platforms and the product catalogue (category) join in with the ingest issue.
with

douyin_lines as (

    select * from {{ ref('stg_douyin__order_lines') }}

),

final as (

    select
        {{ dbt.concat(["order_key", "':'", "line_no"]) }} as order_line_key,
        order_key,
        platform,
        order_no,
        line_no,
        sku,
        product_title as product_name,
        cast(null as {{ dbt.type_string() }}) as category,
        quantity,
        line_amount,
        line_amount = 0 as is_gift
    from douyin_lines

)

select * from final
