-- R25: every SIP account that breaks R20, R22 or R23, or goes beyond the R21 allowance.
-- Reads: rat_fair_use, rated_calls, ref_sip_accounts.
with forwarding as (
    select
        sip_account,
        sum(duration_s) filter (where reason in ('INCLUDED', 'FORWARDING_OVER_FAIR_USE'))
            as forwarded_seconds,
        sum(rated_seconds) filter (where reason = 'FORWARDING_OVER_FAIR_USE')
            as forwarded_over_seconds
    from rated_calls
    where direction = 'fwd'
    group by sip_account
),

accounts as (
    select
        a.sip_account,
        a.customer_id,
        coalesce(f.distinct_numbers, 0) as distinct_numbers,
        coalesce(f.max_concurrent_calls, 0) as max_concurrent_calls,
        coalesce(f.max_registered_devices, 0) as max_registered_devices,
        coalesce(w.forwarded_seconds, 0) as forwarded_seconds,
        coalesce(w.forwarded_over_seconds, 0) as forwarded_over_seconds,
        coalesce(f.breach_distinct_numbers, false) as breach_distinct_numbers,
        coalesce(f.breach_concurrent_calls, false) as breach_concurrent_calls,
        coalesce(f.breach_devices, false) as breach_devices
    from ref_sip_accounts as a
    left join rat_fair_use as f on a.sip_account = f.sip_account
    left join forwarding as w on a.sip_account = w.sip_account
),

final as (
    select
        sip_account,
        customer_id,
        distinct_numbers,
        max_concurrent_calls,
        max_registered_devices,
        forwarded_seconds,
        forwarded_over_seconds,
        concat_ws(
            ';',
            case when breach_distinct_numbers then 'DISTINCT_NUMBERS' end,
            case when breach_concurrent_calls then 'CONCURRENT_CALLS' end,
            case when breach_devices then 'DEVICES' end,
            case when forwarded_over_seconds > 0 then 'FORWARDING' end
        ) as breaches
    from accounts
    where
        breach_distinct_numbers or breach_concurrent_calls or breach_devices
        or forwarded_over_seconds > 0
)

select * from final
order by sip_account
