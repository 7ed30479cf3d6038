-- The Paris days (R1) of the month's staged calls: the days over which rat_tariff_days and
-- rat_plan_days spread the tariff versions and the plans (a superset of the rated calls' days:
-- extra days only add unused rows). One scan of stg_cdrs for both.
-- Reads: stg_cdrs.
with final as (
    select distinct cast(start_time as date) as call_date
    from stg_cdrs
    where reject_reason is null
)

select * from final
