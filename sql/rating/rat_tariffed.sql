-- Each staged call with its destination (R12), the tariff version of its Paris call date (R13)
-- and the rating reject of R41: INVALID_NUMBER (R11) before NO_TARIFF (R12). Only chargeable
-- calls (R10: out or fwd, answered) are rejected; a call that is never charged keeps a null
-- zone when its number does not normalise or match.
-- The version is found by an equality join on (zone, day) with rat_tariff_days (the versions
-- spread over the days of the month's calls: a few thousand rows), so no range join runs on the
-- calls. Reads: rat_calls, rat_tariff_days.
with tariffed as (
    select
        c.*,
        t.valid_from as tariff_valid_from,
        t.price_per_min_eur,
        t.connection_fee_eur,
        t.min_billable_s,
        t.increment_s,
        coalesce(t.in_unlimited_plan, false) as in_unlimited_plan
    from rat_calls as c
    left join rat_tariff_days as t
        on c.zone = t.zone and c.call_date = t.call_date
),

final as (
    select
        *,
        case
            when chargeable and callee_e164 is null then 'INVALID_NUMBER'
            when chargeable and zone is null then 'NO_TARIFF'
            when chargeable and tariff_valid_from is null then 'NO_TARIFF'
        end as reject_reason,
        case
            when chargeable and callee_e164 is null
                then 'callee ' || coalesce('''' || callee || '''', 'empty') || ' is not a valid number (R11)'
            when chargeable and zone is null
                then 'no prefix of destinations.csv starts ' || callee_e164 || ' (R12)'
            when chargeable and tariff_valid_from is null
                then 'zone ' || zone || ' has no tariff valid on ' || cast(call_date as varchar) || ' (R13)'
        end as reject_detail
    from tariffed
)

select * from final
