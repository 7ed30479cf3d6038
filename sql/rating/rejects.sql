-- Every CDR row that is not rated: staging rejects (R41 up to UNKNOWN_ACCOUNT, duplicates
-- included) and rating rejects (INVALID_NUMBER, NO_TARIFF). Each keeps file, row and raw text.
-- Reads: stg_cdrs, rat_tariffed, raw_cdrs (the raw text of the rating rejects: stg_cdrs keeps
-- it only for its own rejects).
with staging_rejects as (
    select
        source_file,
        row_number,
        cdr_id,
        reject_reason as reason,
        reject_detail as detail,
        raw
    from stg_cdrs
    where reject_reason is not null
),

rating_rejects as (
    select
        t.source_file,
        t.row_number,
        t.cdr_id,
        t.reject_reason as reason,
        t.reject_detail as detail,
        coalesce(
            s.raw,
            -- a parquet row: its fields joined by commas (as in stg_cdrs)
            concat_ws(
                ',', coalesce(s.cdr_id, ''), coalesce(s.sip_account, ''),
                coalesce(s.direction, ''), coalesce(s.caller, ''), coalesce(s.callee, ''),
                -- a typed start time printed as in stg_cdrs.sql
                coalesce(
                    s.start_time,
                    strftime(s.start_ts, '%Y-%m-%d %H:%M:%S')
                    || case
                        when strftime(s.start_ts, '%f') <> '000000'
                            then '.' || rtrim(strftime(s.start_ts, '%f'), '0')
                        else ''
                    end
                    || strftime(s.start_ts, '%z'),
                    ''
                ),
                coalesce(s.duration_s, cast(s.duration_n as varchar), ''), coalesce(s.device_id, '')
            )
        ) as raw
    from rat_tariffed as t
    inner join raw_cdrs as s
        on t.source_file = s.source_file and t.row_number = s.row_number
    where t.reject_reason is not null
),

final as (
    select * from staging_rejects
    union all
    select * from rating_rejects
)

select * from final
order by source_file, row_number
