{#-
    The rounds of int_payment_allocations (see the model): round 0 is every multi-order payment × order with
    nothing allocated; each next round resolves the payments whose earlier multi-order payments on the same
    orders are resolved, until none is left. `rounds` holds every round (round_no) and is what the model reads.

    default (DuckDB): a recursive CTE, up to 1000 rounds.
    spark: Spark's WITH RECURSIVE refuses a recursive reference inside window functions or aggregates
    (INVALID_RECURSIVE_REFERENCE.PLACE), and a round needs both (running sums by order and by payment). So the
    rounds are unrolled: rounds_0 .. rounds_N, each the same step over the one before, N = var
    spark_allocation_rounds (default 10: one round per link of a chain of multi-order payments sharing
    orders). Each round carries every row forward (carry=true: no filter; round_no advances only while
    something was unresolved), so `rounds` is rounds_N alone, its round_no the round DuckDB ends on, and the
    plan grows linearly with N (a union of all rounds re-plans every chain: 84 s for N = 10 on 300 orders).
    A chain longer than N leaves allocated null, which the model's not_null test on allocated_amount reports.
-#}
{% macro allocation_rounds(start) -%}
    {{ return(adapter.dispatch('allocation_rounds', 'orderlens')(start)) }}
{%- endmacro %}

{% macro default__allocation_rounds(start) -%}
rounds as (

{{ allocation_round_zero(start) }}
    union all

{{ allocation_round_step('rounds') }}    where round_no < 1000

)
{%- endmacro %}

{% macro spark__allocation_rounds(start) -%}
{%- set n = var('spark_allocation_rounds', 10) | int -%}
rounds_0 as (

{{ allocation_round_zero(start) }}
),
{% for k in range(1, n + 1) %}
rounds_{{ k }} as (

{{ allocation_round_step('rounds_' ~ (k - 1), carry=true) }}
),
{% endfor %}
rounds as (

    select * from rounds_{{ n }}

)
{%- endmacro %}

{% macro allocation_round_zero(start) -%}
    select
        0 as round_no,
        payment_ref,
        payment_seq,
        paid_at,
        amount,
        order_key,
        order_no,
        order_amount,
        position,
        n_orders,
        single_covered,
        cast(null as decimal(18, 2)) as allocated
    from {{ start }}
{%- endmacro %}

{% macro allocation_round_step(previous, carry=false) -%}
    select
        {% if carry %}round_no + any_unresolved{% else %}round_no + 1{% endif %} as round_no,
        payment_ref,
        payment_seq,
        paid_at,
        amount,
        order_key,
        order_no,
        order_amount,
        position,
        n_orders,
        single_covered,
        cast(
            case
                when allocated is not null then allocated
                when blocked = 1 then null
                when position < n_orders then allocated_upto - coalesce(allocated_before, 0)
                else amount - coalesce(allocated_before, 0)
            end as decimal(18, 2)
        ) as allocated
    from (
        select
            *,
            lag(allocated_upto) over (partition by payment_ref order by position) as allocated_before
        from (
            select
                *,
                case
                    when position = n_orders then null
                    when amount <= 0 then 0
                    else least(amount, cumulative_need)
                end as allocated_upto
            from (
                select
                    *,
                    sum(need) over (
                        partition by payment_ref order by position rows between unbounded preceding and current row
                    ) as cumulative_need,
                    max(case when allocated is null and position < n_orders and earlier_unresolved > 0 then 1 else 0 end)
                        over (partition by payment_ref) as blocked
                from (
                    select
                        *,
                        case
                            when position < n_orders then greatest(0, order_amount - single_covered - coalesce(covered_before, 0))
                        end as need
                    from (
                        select
                            *,
                            coalesce(sum(case when allocated is null then 1 else 0 end) over (
                                partition by order_key order by payment_seq rows between unbounded preceding and 1 preceding
                            ), 0) as earlier_unresolved,
                            sum(allocated) over (
                                partition by order_key order by payment_seq rows between unbounded preceding and 1 preceding
                            ) as covered_before,
                            max(case when allocated is null then 1 else 0 end) over () as any_unresolved
                        from {{ previous }}
                    ) as state
                    {% if not carry %}where any_unresolved = 1{% endif %}
                ) as needs
            ) as cumulative
        ) as upto
    ) as next_round
{%- endmacro %}
