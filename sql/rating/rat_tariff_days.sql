-- The tariff version of each zone on each Paris day of the month's calls (R13): a small table
-- (days x zones) that rat_tariffed joins on (zone, call_date) equality, so that no range join
-- runs on the calls. A table, not a CTE: DuckDB then knows it is small and builds its hash
-- table on it (from a CTE with a range join it overestimated the rows and built the join's
-- hash table on the calls instead, docs/performance.md).
-- Reads: rat_call_days, ref_tariffs.
with tariff_versions as (
    -- R13: a version is valid from its valid_from to the next version's valid_from (excluded)
    select
        *,
        lead(valid_from) over (partition by zone order by valid_from) as valid_until
    from ref_tariffs
),

final as (
    select
        d.call_date,
        t.zone,
        t.valid_from,
        t.price_per_min_eur,
        t.connection_fee_eur,
        t.min_billable_s,
        t.increment_s,
        t.in_unlimited_plan
    from rat_call_days as d
    inner join tariff_versions as t
        on d.call_date >= t.valid_from and (t.valid_until is null or d.call_date < t.valid_until)
)

select * from final
