-- Conservation of the three-way match (issue 7): for each stream (orders, payments, tracking numbers) the
-- items that come in equal the items that land (in exactly one row, outside the scope, or under review), and
-- no item lands twice. Any row returned fails the build, and with it the run. Surfaced in Dagster as an
-- asset check of intermediate/int_three_way_match_conservation.
select
    stream,
    items_in,
    items_out,
    items_in_rows,
    items_outside,
    items_under_review,
    violations
from {{ ref('int_three_way_match_conservation') }}
where items_in <> items_out
    or violations <> 0
