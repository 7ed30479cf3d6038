-- Each staged call with its destination (R12), the tariff version of its Paris call date (R13)
-- and the rating reject of R41: INVALID_NUMBER (R11) before NO_TARIFF (R12). Only chargeable
-- calls (R10: out or fwd, answered) are rejected; a call that is never charged keeps a null
-- zone when its number does not normalise or match.
-- Reads: rat_calls, rat_destinations, ref_tariffs.
with tariff_versions as (
    -- R13: a version is valid from its valid_from to the next version's valid_from (excluded)
    select
        *,
        lead(valid_from) over (partition by zone order by valid_from) as valid_until
    from ref_tariffs
),

zoned as (
    select
        c.*,
        d.prefix,
        d.zone
    from rat_calls as c
    left join rat_destinations as d
        on c.callee_e164 = d.callee_e164
),

tariffed as (
    select
        z.*,
        t.valid_from as tariff_valid_from,
        t.price_per_min_eur,
        t.connection_fee_eur,
        t.min_billable_s,
        t.increment_s,
        coalesce(t.in_unlimited_plan, false) as in_unlimited_plan
    from zoned as z
    left join tariff_versions as t
        on
            z.zone = t.zone
            and z.call_date >= t.valid_from
            and (t.valid_until is null or z.call_date < t.valid_until)
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
