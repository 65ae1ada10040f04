{#-
    None of `columns` is null: the rows where any of them is null (each with the columns themselves, so the
    failing column is visible). Fails exactly when a `not_null` test on one of the columns would fail, with
    one scan and one dbt node instead of one per column (~50 ms of dbt per test node: issue 6, bench/RESULTS.md).
-#}
{% test not_null_columns(model, columns) %}

select {{ columns | join(', ') }}
from {{ model }}
where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}

{% endtest %}
