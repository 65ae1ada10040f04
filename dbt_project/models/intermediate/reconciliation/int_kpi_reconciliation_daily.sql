-- difference_rate for fct_kpi_daily: by the order's paid day (B2B: order day), pending orders over
-- orders in the three-way match scope, as of the run's as_of. Only order rows count (orphan payments and
-- orphan tracking numbers have no order, hence no paid day; they are in rpt_daily_differences).
with

matches as (

    select * from {{ ref('fct_three_way_match') }}
    where item_type = 'order'

),

final as (

    select
        cast(item_at as date) as day,
        count(*) as orders_in_scope,
        sum(case when match_status = 'pending' then 1 else 0 end) as orders_pending,
        cast(sum(case when match_status = 'pending' then 1 else 0 end) as double) / count(*) as difference_rate
    from matches
    group by cast(item_at as date)

)

select * from final
