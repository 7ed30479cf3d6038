-- The CDR fields typed, and what makes a row malformed (R41), for stg_cdrs. A view: stg_cdrs
-- reads it three times (duplicate candidates, their rows, every row) and each read is inlined
-- with its own filters, instead of DuckDB materialising a copy of every row for a shared CTE.
-- Reads: raw_cdrs (pipeline/inputs/cdrs.py).
-- Speed (docs/performance.md): a parquet file's typed start_time / duration_s arrive typed
-- (start_ts, duration_n) instead of being printed and parsed back.
with parsed as (
    select
        *,
        case
            when
                regexp_full_match(
                    start_time,
                    '\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-](0\d|1[0-4])(:?[0-5]\d)?)?'
                )
                then try_cast(start_time as timestamptz)
        end as read_time
    from raw_cdrs
),

typed as (
    select
        r.source_file,
        r.row_number,
        r.raw,
        r.n_fields,
        r.expected_fields,
        r.cdr_id,
        r.sip_account,
        r.direction,
        r.caller,
        r.callee,
        r.device_id,
        -- the text of start_time and duration_s as read (null when a parquet file stores
        -- them typed: stg_cdrs prints start_ts / duration_n only for the rows it rejects)
        r.start_time as start_time_text,
        r.start_ts,
        r.duration_s as duration_text,
        r.duration_n,
        coalesce(
            r.start_ts,
            -- A local time without offset in the hour that happens twice (the last Sunday of
            -- October, 02:00-02:59) is its second occurrence, winter time (+01:00), as this
            -- pipeline has always read it. Explicit because engines differ (DuckDB reads the
            -- second, Spark the first: docs/spark.md): the first is turned into the second.
            case
                when
                    substr(r.start_time, 12, 2) = '02'
                    and regexp_full_match(r.start_time, '.{10}[T ]02:\d{2}(:\d{2}(\.\d+)?)?')
                    and cast(r.read_time + interval 1 hour as timestamp)
                    = cast(r.read_time as timestamp)
                    then r.read_time + interval 1 hour
                else r.read_time
            end
        ) as start_time,
        coalesce(
            r.duration_n,
            case
                when regexp_full_match(r.duration_s, '-?\d{1,12}')
                    then cast(r.duration_s as bigint)
            end
        ) as duration_s
    from parsed as r
),

malformed as (
    select
        *,
        case
            when length(raw) > 65536
                then 'line of ' || length(raw) || ' characters, longer than any CDR (65,536)'
            when n_fields <> expected_fields
                then 'has ' || n_fields || ' fields, the header has ' || expected_fields
            when cdr_id is null then 'cdr_id is empty'
            when sip_account is null then 'sip_account is empty'
            when direction is null or direction not in ('out', 'in', 'fwd')
                then 'direction must be out, in or fwd'
            when start_time is null then 'start_time is not an ISO 8601 timestamp'
            when duration_s is null then 'duration_s is not a whole number'
        end as malformed_detail
    from typed
),

final as (
    select * from malformed
)

select * from final
