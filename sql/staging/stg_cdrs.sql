-- Staged CDRs of the month: typed fields and the first reject reason of R41 that can be decided
-- before rating (MALFORMED, DUPLICATE, NEGATIVE_DURATION, DURATION_TOO_LONG, OUT_OF_PERIOD,
-- UNKNOWN_ACCOUNT).
-- INVALID_NUMBER and NO_TARIFF are decided by the rating models.
-- Reads: stg_cdr_fields (a view over raw_cdrs), billed_cdr_ids, ref_sip_accounts, run_params (the
-- month's instant range [month_start, month_end), R1, one row bound by pipeline/rating/models.py).
-- A malformed row is not an occurrence of its cdr_id: a later well-formed row with the same id
-- is rated (or judged on its own), not a duplicate of a row that could not be read.
-- Speed (docs/performance.md): the raw text is kept only for rows rejected here, a parquet
-- row's built only for them (rejects.sql reads it back for the rating rejects); the duplicate
-- window runs only on the ids whose 64-bit hash is seen twice.
with repeated_hashes as (
    -- the only ids that can be duplicates: a 64-bit hash seen twice among all rows (a
    -- collision, or a malformed row, only adds candidates: repeated_rows judges exactly,
    -- among readable rows). Not filtering on malformed_detail here reads only cdr_id: the
    -- other fields are not typed for this scan.
    select hash(cdr_id) as id_hash
    from stg_cdr_fields
    group by hash(cdr_id)
    having count(*) > 1
),

repeated_rows as (
    select
        m.cdr_id,
        m.source_file,
        m.row_number,
        row_number() over (
            partition by m.cdr_id order by m.source_file, m.row_number
        ) as occurrence
    from stg_cdr_fields as m
    inner join repeated_hashes as h
        on hash(m.cdr_id) = h.id_hash
    where m.malformed_detail is null
),

first_occurrence as (
    -- the first readable row of every id read more than once (files in name order, rows in
    -- file order)
    select
        f.cdr_id,
        f.source_file,
        f.row_number
    from repeated_rows as f
    inner join repeated_rows as s
        on f.cdr_id = s.cdr_id and s.occurrence = 2
    where f.occurrence = 1
),

previously_billed as (
    select
        cdr_id,
        min(month) as month
    from billed_cdr_ids
    group by cdr_id
),

month_range as (
    select
        month_start,
        month_end,
        max_call_duration_s
    from run_params
),

known_accounts as (
    select
        sip_account,
        customer_id
    from ref_sip_accounts
),

judged as (
    select
        f.*,
        a.customer_id,
        coalesce(o.source_file <> f.source_file or o.row_number <> f.row_number, false)
            as repeated,
        o.source_file as first_file,
        o.row_number as first_row,
        p.cdr_id is not null as billed_before,
        p.month as billed_month,
        a.sip_account is not null as known_account,
        f.duration_s > m.max_call_duration_s as too_long,
        m.max_call_duration_s,
        f.start_time < m.month_start or f.start_time >= m.month_end as out_of_period
    from stg_cdr_fields as f
    cross join month_range as m
    left join first_occurrence as o
        on f.cdr_id = o.cdr_id and f.malformed_detail is null
    left join previously_billed as p
        on f.cdr_id = p.cdr_id and f.malformed_detail is null
    left join known_accounts as a
        on f.sip_account = a.sip_account
),

rejected as (
    select
        *,
        case
            when malformed_detail is not null then 'MALFORMED'
            when repeated or billed_before then 'DUPLICATE'
            when duration_s < 0 then 'NEGATIVE_DURATION'
            when too_long then 'DURATION_TOO_LONG'
            when out_of_period then 'OUT_OF_PERIOD'
            when not known_account then 'UNKNOWN_ACCOUNT'
        end as reject_reason
    from judged
),

final as (
    select
        source_file,
        row_number,
        case
            when reject_reason is not null
                then
                    coalesce(
                        raw,
                        -- a parquet row: its fields joined by commas
                        concat_ws(
                            ',', coalesce(cdr_id, ''), coalesce(sip_account, ''),
                            coalesce(direction, ''), coalesce(caller, ''), coalesce(callee, ''),
                            -- a typed start time printed as DuckDB casts a timestamptz to
                            -- text, written out because Spark's cast drops the offset
                            coalesce(
                                start_time_text,
                                strftime(start_ts, '%Y-%m-%d %H:%M:%S')
                                || case
                                    when strftime(start_ts, '%f') <> '000000'
                                        then '.' || rtrim(strftime(start_ts, '%f'), '0')
                                    else ''
                                end
                                || strftime(start_ts, '%z'),
                                ''
                            ),
                            coalesce(duration_text, cast(duration_n as varchar), ''),
                            coalesce(device_id, '')
                        )
                    )
        end as raw,
        cdr_id,
        sip_account,
        customer_id,
        direction,
        caller,
        callee,
        start_time,
        duration_s,
        device_id,
        reject_reason,
        case
            when reject_reason = 'MALFORMED' then malformed_detail
            when reject_reason = 'DUPLICATE' and repeated
                then 'first seen in ' || first_file || ' row ' || first_row
            when reject_reason = 'DUPLICATE' then 'already billed in ' || billed_month
            when reject_reason = 'NEGATIVE_DURATION' then 'duration_s is ' || duration_s
            when reject_reason = 'DURATION_TOO_LONG'
                then
                    'duration_s is ' || duration_s || ', over the ' || max_call_duration_s
                    || ' s of max_call_duration_s (provider.toml)'
            when reject_reason = 'OUT_OF_PERIOD'
                then 'starts ' || strftime(start_time, '%Y-%m-%d %H:%M:%S %z') || ', outside the month'
            when reject_reason = 'UNKNOWN_ACCOUNT'
                then 'sip_account ' || sip_account || ' is not in sip_accounts.csv'
        end as reject_detail
    from rejected
)

select * from final
