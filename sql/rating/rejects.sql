-- Every CDR row that is not rated: staging rejects (R41 up to UNKNOWN_ACCOUNT, duplicates
-- included) and rating rejects (INVALID_NUMBER, NO_TARIFF). Each keeps file, row and raw text.
-- Reads: stg_cdrs, rat_tariffed.
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
        source_file,
        row_number,
        cdr_id,
        reject_reason as reason,
        reject_detail as detail,
        raw
    from rat_tariffed
    where reject_reason is not null
),

final as (
    select * from staging_rejects
    union all
    select * from rating_rejects
)

select * from final
order by source_file, row_number
