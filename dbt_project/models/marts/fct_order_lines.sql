-- One row per order line across platforms, with the catalogue's product name and category.
with

lines as (

    select * from {{ ref('int_order_lines_unioned') }}

),

products as (

    select * from {{ ref('stg_products__products') }}

),

final as (

    select
        {{ dbt.concat(["lines.order_key", "':'", "lines.line_no"]) }} as order_line_key,
        lines.order_key,
        lines.platform,
        lines.order_no,
        lines.line_no,
        lines.sku,
        coalesce(products.product_name, lines.product_title) as product_name,
        products.category,
        lines.quantity,
        lines.line_amount,
        lines.is_gift
    from lines
    left join products
        on lines.sku = products.sku

)

select * from final
