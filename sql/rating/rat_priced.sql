-- Each rated call (not rejected) with its plan coverage (R15), device check (R24), the
-- account's fair-use breaches (R20-R23) and `pre_reason`, the reason of R16 before the
-- forwarding allowance (step 7) is applied in rated_calls.
-- Reads: rat_tariffed, rat_plan_days, rat_fair_use, ref_subscriptions, ref_devices.
with rated_candidates as (
    select *
    from rat_tariffed
    where reject_reason is null
),

account_days as (
    -- covered (account, day), with the smallest covering subscription (shown by explain)
    select
        sip_account,
        call_date,
        min(subscription_id) as plan_subscription_id
    from rat_plan_days
    group by sip_account, call_date
),

plan_intl_zones as (
    select
        subscription_id,
        unnest(included_intl_zones) as zone
    from ref_subscriptions
),

intl_zone_days as (
    -- international zones on the order form of a plan in force that day
    select distinct
        p.sip_account,
        p.call_date,
        z.zone
    from rat_plan_days as p
    inner join plan_intl_zones as z
        on p.subscription_id = z.subscription_id
),

provider_devices as (
    -- R24: devices the provider supplied to that customer
    select
        device_id,
        customer_id
    from ref_devices
    where supplied_by_provider
),

classified as (
    select
        c.*,
        v.sip_account is not null as covered,
        v.plan_subscription_id,
        (c.in_unlimited_plan or z.zone is not null) as zone_included,
        (c.device_id is not null and pd.device_id is null) as third_party_device,
        coalesce(f.breach_distinct_numbers, false) as breach_distinct_numbers,
        coalesce(f.breach_concurrent_calls, false) as breach_concurrent_calls,
        coalesce(f.breach_devices, false) as breach_devices,
        (c.price_per_min_eur = 0 and c.connection_fee_eur = 0) as free_zone
    from rated_candidates as c
    left join account_days as v
        on c.sip_account = v.sip_account and c.call_date = v.call_date
    left join intl_zone_days as z
        on c.sip_account = z.sip_account and c.call_date = z.call_date and c.zone = z.zone
    left join provider_devices as pd
        on c.device_id = pd.device_id and c.customer_id = pd.customer_id
    left join rat_fair_use as f
        on c.sip_account = f.sip_account
),

final as (
    -- R16, first that applies (FORWARDING_OVER_FAIR_USE is decided in rated_calls)
    select
        *,
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
