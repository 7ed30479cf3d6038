-- Staged CDRs of the month: typed fields and the first reject reason of R41 that can be decided
-- before rating (MALFORMED, DUPLICATE, NEGATIVE_DURATION, OUT_OF_PERIOD, UNKNOWN_ACCOUNT).
-- INVALID_NUMBER and NO_TARIFF are decided by the rating models.
-- Reads: raw_cdrs (pipeline/cdrs.py), billed_cdr_ids, ref_sip_accounts, run_params (the
-- month's instant range [month_start, month_end), R1, one row bound by pipeline/rating.py).
-- A malformed row is not an occurrence of its cdr_id: a later well-formed row with the same id
-- is rated (or judged on its own), not a duplicate of a row that could not be read.
with typed as (
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
        case
            when
                regexp_full_match(
                    r.start_time,
                    '\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?'
                )
                then try_cast(r.start_time as timestamptz)
        end as start_time,
        case
            when regexp_full_match(r.duration_s, '-?\d{1,12}')
                then cast(r.duration_s as bigint)
        end as duration_s
    from raw_cdrs as r
),

malformed as (
    select
        *,
        case
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

first_occurrence as (
    select
        *,
        case
            when malformed_detail is null
                then row_number() over (
                    partition by cdr_id, malformed_detail is null
                    order by source_file, row_number
                )
        end as occurrence,
        first_value(source_file || ' row ' || row_number) over (
            partition by cdr_id, malformed_detail is null
            order by source_file, row_number
        ) as first_seen
    from malformed
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
        month_end
    from run_params
),

known_accounts as (
    select
        sip_account,
        customer_id
    from ref_sip_accounts
),

final as (
    select
        f.source_file,
        f.row_number,
        f.raw,
        f.cdr_id,
        f.sip_account,
        a.customer_id,
        f.direction,
        f.caller,
        f.callee,
        f.start_time,
        f.duration_s,
        f.device_id,
        case
            when f.malformed_detail is not null then 'MALFORMED'
            when f.occurrence > 1 or p.cdr_id is not null then 'DUPLICATE'
            when f.duration_s < 0 then 'NEGATIVE_DURATION'
            when f.start_time < m.month_start or f.start_time >= m.month_end then 'OUT_OF_PERIOD'
            when a.sip_account is null then 'UNKNOWN_ACCOUNT'
        end as reject_reason,
        case
            when f.malformed_detail is not null then f.malformed_detail
            when f.occurrence > 1 then 'first seen in ' || f.first_seen
            when p.cdr_id is not null then 'already billed in ' || p.month
            when f.duration_s < 0 then 'duration_s is ' || f.duration_s
            when f.start_time < m.month_start or f.start_time >= m.month_end
                then 'starts ' || strftime(f.start_time, '%Y-%m-%d %H:%M:%S %z') || ', outside the month'
            when a.sip_account is null then 'sip_account ' || f.sip_account || ' is not in sip_accounts.csv'
        end as reject_detail
    from first_occurrence as f
    cross join month_range as m
    left join previously_billed as p
        on f.cdr_id = p.cdr_id and f.malformed_detail is null
    left join known_accounts as a
        on f.sip_account = a.sip_account
)

select * from final
