-- R63: one usage line per SIP account, zone and reason charged (R16 reasons 2-7): number of
-- calls, billable seconds, amount = sum of the calls' 4-decimal amounts rounded once to 2 (R2).
-- Reads: rated_calls, ref_tariffs (the price and fee of each call's tariff row: zone and
-- tariff_valid_from, rated_calls.parquet keeps the tariff version, not its figures).
with charged as (
    select
        customer_id,
        sip_account,
        zone,
        reason,
        tariff_valid_from,
        count(*) as calls,
        sum(billable_seconds) as billable_seconds,
        sum(amount) as amount
    from rated_calls
    where
        reason in (
            'TELECOM_PROFESSIONAL',
            'NO_PLAN',
            'FAIR_USE_DISTINCT_NUMBERS',
            'FAIR_USE_CONCURRENT_CALLS',
            'FAIR_USE_DEVICES',
            'THIRD_PARTY_DEVICE',
            'OUT_OF_PLAN',
            'FORWARDING_OVER_FAIR_USE'
        )
    group by customer_id, sip_account, zone, reason, tariff_valid_from
),

priced as (
    select
        c.*,
        t.price_per_min_eur,
        t.connection_fee_eur
    from charged as c
    left join ref_tariffs as t
        on c.zone = t.zone and c.tariff_valid_from = t.valid_from
),

final as (
    select
        customer_id,
        sip_account,
        zone,
        reason,
        cast(sum(calls) as bigint) as calls,
        sum(billable_seconds) as billable_seconds,
        sum(amount) as amount_4dp,
        round(sum(amount), 2) as amount_ht,
        -- one price for every call of the line (else null): its unit price per minute
        case
            when min(price_per_min_eur) = max(price_per_min_eur)
                then min(price_per_min_eur)
        end as price_per_min,
        case
            when min(connection_fee_eur) = max(connection_fee_eur)
                then min(connection_fee_eur)
        end as connection_fee
    from priced
    group by customer_id, sip_account, zone, reason
)

select * from final
order by customer_id, sip_account, zone, reason
