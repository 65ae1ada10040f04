{#-
    The combination of `columns` is unique (no two rows with the same values; a null is a value here, so
    this is at least as strict as `unique` on a concatenation, which skips a row with any null part and can
    confuse 'a:b' + 'c' with 'a' + 'b:c'). Groups on the columns themselves: no string is built per row,
    half the cost of `unique` on `a || ':' || b` on millions of rows (issue 6).
-#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as n_records
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
