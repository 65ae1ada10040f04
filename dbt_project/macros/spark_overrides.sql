{#-
    Spark versions of dbt's own cross-database macros where dbt-spark's do not fit this project
    (docs/spark.md). A `spark__<name>` macro in the root project wins over the adapter's for
    `adapter.dispatch('<name>', 'dbt')`, so the models keep calling dbt.split_part(...) and friends, and
    the SQL compiled for DuckDB does not change.
-#}

{#- dbt-spark's split_part needs a literal part number (it does arithmetic on it in Jinja) and turns the
    delimiter into a regex; the models split by a column (positions 1..n of a spine). Spark >= 3.3 has
    split_part(str, delimiter, n) with the Postgres/DuckDB meaning (literal delimiter, '' past the end). -#}
{% macro spark__split_part(string_text, delimiter_text, part_number) -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro %}

{#- The project writes DuckDB's type names in YAML (contracts' data_type, a few test expressions): `varchar`
    (Spark's VARCHAR needs a length: DATATYPE_MISSING_SIZE) and `varchar[]` (no such syntax). The Spark
    names for them: string, array<string>. Every other type name the project uses (integer, bigint, double,
    boolean, date, timestamp, decimal(p,s)) means the same on both. -#}
{% macro spark_type_names(sql) -%}
    {%- set sql = modules.re.sub('(?i)\\bvarchar\\s*\\[\\s*\\]', 'array<string>', sql) -%}
    {{- return(modules.re.sub('(?i)\\bvarchar\\b(?!\\s*\\()', 'string', sql)) -}}
{%- endmacro %}

{#- Contracts: dbt reads the YAML's types by running `select cast(null as <data_type>) ...`. -#}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set spark_columns = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set spark_column = dict(column) -%}
        {%- if column.get('data_type') -%}
            {%- do spark_column.update({'data_type': spark_type_names(column['data_type'])}) -%}
        {%- endif -%}
        {%- do spark_columns.update({name: spark_column}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(spark_columns)) }}
{%- endmacro %}

{#- unique on an expression written in YAML (`_source_file || ':' || cast(_row_number as varchar)`):
    the same test with Spark's type names (the test's name, and so its Dagster check, stays the same). -#}
{% macro spark__test_unique(model, column_name) -%}
    {{ return(default__test_unique(model, spark_type_names(column_name))) }}
{%- endmacro %}

{#- Unit-test fixtures: dbt writes a YAML list (order_nos: ["SO1", "SO2"]) as the Python literal
    ['SO1', 'SO2'], which DuckDB reads as a list; Spark needs array('SO1', 'SO2'). Strings and nulls as
    dbt-spark does. -#}
{% macro spark__safe_cast(field, type) -%}
    {%- if field is iterable and field is not string and field is not mapping -%}
        {%- set items = [] -%}
        {%- for item in field -%}
            {%- do items.append('null' if item is none else (item if item is number else dbt.string_literal(dbt.escape_single_quotes(item | string)))) -%}
        {%- endfor -%}
        cast(array({{ items | join(', ') }}) as {{ spark_type_names(type) }})
    {%- else -%}
        {%- set field_clean = field.strip('"').strip("'") if (cast_from_string_unsupported_for(type) and field is string) else field -%}
        cast({{ field_clean }} as {{ spark_type_names(type) }})
    {%- endif -%}
{%- endmacro %}

{#- dbt-spark's listagg drops the order_by_clause (collect_list keeps no order; it only warns), so
    fct_orders.tracking_nos, fct_three_way_match.payment_refs and fct_aftersales' item lists came out in
    another order than on DuckDB. Here: collect (sort keys, value) structs, sort them, join the values.
    Each key is preceded by `key is null` so nulls sort last, as DuckDB's default (NULLS LAST) does; only
    ascending keys are supported (all the project uses). No non-null value gives null, as string_agg does
    (array_join of an empty list would give ''). -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("listagg: limit_num is not implemented for spark in this project") }}
    {%- endif -%}
    {%- if order_by_clause -%}
        {%- set keys = modules.re.sub('(?i)^\\s*order\\s+by\\s+', '', order_by_clause).split(',') -%}
        {%- set fields = [] -%}
        {%- for key in keys -%}
            {%- set key = key.strip() -%}
            {%- if modules.re.search('(?i)\\s(desc|asc|nulls)\\b', key) -%}
                {{ exceptions.raise_compiler_error("listagg on spark: only plain ascending keys, got '" ~ key ~ "'") }}
            {%- endif -%}
            {%- do fields.append('(' ~ key ~ ') is null as k' ~ loop.index ~ 'n') -%}
            {%- do fields.append(key ~ ' as k' ~ loop.index) -%}
        {%- endfor -%}
        case when count({{ measure }}) > 0 then array_join(transform(
            array_sort(collect_list(struct({{ fields | join(', ') }}, {{ measure }} as listagg_value))),
            entry -> entry.listagg_value
        ), {{ delimiter_text }}) end
    {%- else -%}
        case when count({{ measure }}) > 0 then array_join(collect_list({{ measure }}), {{ delimiter_text }}) end
    {%- endif -%}
{%- endmacro %}
