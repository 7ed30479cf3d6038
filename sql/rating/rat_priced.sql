-- Each staged call with its zone (R12), tariff version (R13), plan coverage (R15), device check
-- (R24), fair-use breaches (R20-R23), and the rating reject (INVALID_NUMBER, NO_TARIFF, R41).
-- `pre_reason` is the reason of R16 before the forwarding allowance (step 7) is applied.
-- Reads: rat_calls, rat_destinations, rat_fair_use, ref_tariffs, ref_subscriptions,
-- ref_products, ref_devices.
with tariff_versions as (
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

unlimited_plans as (
    -- R15 + R31: coverage from the order date to the service end date, both included
    select
        s.sip_account,
        s.order_date,
        coalesce(cast(s.notice_date + interval 1 month as date), date '9999-12-31') as end_date,
        coalesce(s.included_intl_zones, []) as included_intl_zones
    from ref_subscriptions as s
    inner join ref_products as p
        on s.product_code = p.product_code
    where p.unlimited and s.sip_account is not null
),

coverage as (
    select
        t.cdr_id,
        true as covered,
        flatten(list(p.included_intl_zones)) as included_intl_zones
    from tariffed as t
    inner join unlimited_plans as p
        on
            t.sip_account = p.sip_account
            and t.call_date >= p.order_date
            and t.call_date <= p.end_date
    group by t.cdr_id
),

provider_devices as (
    select
        device_id,
        customer_id
    from ref_devices
    where supplied_by_provider
),

classified as (
    select
        t.*,
        coalesce(v.covered, false) as covered,
        (
            t.in_unlimited_plan
            or coalesce(list_contains(v.included_intl_zones, t.zone), false)
        ) as zone_included,
        (t.device_id is not null and pd.device_id is null) as third_party_device,
        coalesce(f.breach_distinct_numbers, false) as breach_distinct_numbers,
        coalesce(f.breach_concurrent_calls, false) as breach_concurrent_calls,
        coalesce(f.breach_devices, false) as breach_devices,
        (t.price_per_min_eur = 0 and t.connection_fee_eur = 0) as free_zone
    from tariffed as t
    left join coverage as v
        on t.cdr_id = v.cdr_id
    left join provider_devices as pd
        on t.device_id = pd.device_id and t.customer_id = pd.customer_id
    left join rat_fair_use as f
        on t.sip_account = f.sip_account
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
                then 'callee ' || coalesce('''' || callee || '''', 'empty') || ' is not a valid number'
            when chargeable and zone is null
                then 'no prefix of rates/destinations.csv matches ' || callee_e164
            when chargeable and tariff_valid_from is null
                then 'zone ' || zone || ' has no tariff valid on ' || call_date
        end as reject_detail,
        case
            when not chargeable then 'NOT_CHARGEABLE'
            when free_zone then 'FREE'
            when telecom_professional then 'TELECOM_PROFESSIONAL'
            when not covered then 'NO_PLAN'
            when breach_distinct_numbers then 'FAIR_USE_DISTINCT_NUMBERS'
            when breach_concurrent_calls then 'FAIR_USE_CONCURRENT_CALLS'
            when breach_devices then 'FAIR_USE_DEVICES'
            when third_party_device then 'THIRD_PARTY_DEVICE'
            when not zone_included then 'OUT_OF_PLAN'
            else 'INCLUDED'
        end as pre_reason
    from classified
)

select * from final
