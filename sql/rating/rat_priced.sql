-- Each rated call (not rejected) with its plan coverage (R15), device check (R24), the
-- account's fair-use breaches (R20-R23) and `pre_reason`, the reason of R16 before the
-- forwarding allowance (step 7) is applied in rated_calls.
-- Reads: rat_tariffed, rat_fair_use, ref_subscriptions, ref_products, ref_devices.
with rated_candidates as (
    select *
    from rat_tariffed
    where reject_reason is null
),

unlimited_plans as (
    -- R15 + R31: coverage from the order date to the service end date (notice + 1 month),
    -- both included
    select
        s.subscription_id,
        s.sip_account,
        s.order_date,
        coalesce(cast(s.notice_date + interval '1' month as date), date '9999-12-31') as end_date,
        s.included_intl_zones
    from ref_subscriptions as s
    inner join ref_products as p
        on s.product_code = p.product_code
    where p.unlimited and s.sip_account is not null
),

plan_intl_zones as (
    select
        subscription_id,
        unnest(included_intl_zones) as zone
    from unlimited_plans
),

coverage as (
    -- a call is covered when one unlimited plan of its account is in force on its Paris date;
    -- its zone is included when national (in_unlimited_plan) or on one such plan's order form
    select
        c.cdr_id,
        max(case when z.zone is not null then 1 else 0 end) = 1 as intl_zone_included,
        min(p.subscription_id) as plan_subscription_id
    from rated_candidates as c
    inner join unlimited_plans as p
        on
            c.sip_account = p.sip_account
            and c.call_date >= p.order_date
            and c.call_date <= p.end_date
    left join plan_intl_zones as z
        on p.subscription_id = z.subscription_id and c.zone = z.zone
    group by c.cdr_id
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
        v.cdr_id is not null as covered,
        v.plan_subscription_id,
        (c.in_unlimited_plan or coalesce(v.intl_zone_included, false)) as zone_included,
        (c.device_id is not null and pd.device_id is null) as third_party_device,
        coalesce(f.breach_distinct_numbers, false) as breach_distinct_numbers,
        coalesce(f.breach_concurrent_calls, false) as breach_concurrent_calls,
        coalesce(f.breach_devices, false) as breach_devices,
        (c.price_per_min_eur = 0 and c.connection_fee_eur = 0) as free_zone
    from rated_candidates as c
    left join coverage as v
        on c.cdr_id = v.cdr_id
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
