-- One row per order × risk. address_changed_repeatedly: the receiver address changed 2 or more times
-- between consecutive exports of the order (int_order_states_history) before the order shipped (a change
-- seen at an export time before fct_orders.shipped_at, or the order is not shipped) → confirm by phone
-- before shipping. detected_at = the export time that shows the second change.
with

history as (

    select * from {{ ref('int_order_states_history') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

address_changes as (

    select
        h.order_key,
        h.seen_at,
        row_number() over (partition by h.order_key order by h.state_seq) as change_no
    from history as h
    left join orders as o
        on o.order_key = h.order_key
    where h.address_changed
        and (o.shipped_at is null or h.seen_at < o.shipped_at)

),

per_order as (

    select
        order_key,
        count(*) as changes,
        max(case when change_no = 2 then seen_at end) as second_change_at
    from address_changes
    group by order_key

),

final as (

    select
        order_key,
        'address_changed_repeatedly' as risk_type,
        {{ dbt.concat([
            "'receiver address changed '",
            "cast(changes as " ~ dbt.type_string() ~ ")",
            "' times before shipping'",
        ]) }} as detail,
        cast(second_change_at as {{ dbt.type_timestamp() }}) as detected_at
    from per_order
    where changes >= 2

)

select * from final
