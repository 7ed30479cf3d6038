-- R40: per input file, rows read = rated + duplicates + rejected. Every file of the month is
-- listed, an empty one too (0 = 0 + 0 + 0).
-- Reads: raw_cdrs_files (pipeline/inputs/cdrs.py), stg_cdrs (one row per record read), rated_calls,
-- rejects.
with records as (
    select
        source_file,
        count(*) as rows_read
    from stg_cdrs
    group by source_file
),

files as (
    select
        f.source_file,
        coalesce(r.rows_read, 0) as rows_read
    from raw_cdrs_files as f
    left join records as r
        on f.source_file = r.source_file
),

rated as (
    select
        source_file,
        count(*) as rated
    from rated_calls
    group by source_file
),

not_rated as (
    select
        source_file,
        sum(case when reason = 'DUPLICATE' then 1 else 0 end) as duplicates,
        sum(case when reason <> 'DUPLICATE' then 1 else 0 end) as rejected
    from rejects
    group by source_file
),

final as (
    select
        f.source_file,
        f.rows_read,
        coalesce(r.rated, 0) as rated,
        coalesce(n.duplicates, 0) as duplicates,
        coalesce(n.rejected, 0) as rejected,
        f.rows_read = coalesce(r.rated, 0) + coalesce(n.duplicates, 0) + coalesce(n.rejected, 0)
            as balanced
    from files as f
    left join rated as r on f.source_file = r.source_file
    left join not_rated as n on f.source_file = n.source_file
)

select * from final
order by source_file
