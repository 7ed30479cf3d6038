-- Rated calls: the forwarding allowance (R21), the one reason of R16 and the amount (R14, R2).
-- Reads: rat_priced (a view, read twice on purpose: the forwarded legs' side is filtered down
-- to the `fwd` rows before its joins run, and no copy of every call is materialised).
-- Output columns follow the data contract (rated_calls.parquet), plus the facts an
-- explanation needs (prefix, tariff row, allowance used before, source row).
with forwarding_allowance as (
    -- R21: included forwarded legs share 7,200 s per account and month, in order of start
    -- time then cdr_id; legs charged for another reason do not consume it.
    select
        cdr_id,
        cast(coalesce(
            sum(duration_s) over (
                partition by sip_account order by start_time, cdr_id
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as bigint) as consumed_before
    from rat_priced
    where direction = 'fwd' and pre_reason = 'INCLUDED'
),

reasoned as (
    select
        r.*,
        a.consumed_before,
        case
            when a.cdr_id is null then 0
            else least(r.duration_s, greatest(0, a.consumed_before + r.duration_s - 7200))
        end as forwarded_over_s
    from rat_priced as r
    left join forwarding_allowance as a
        on r.cdr_id = a.cdr_id
),

with_reason as (
    select
        *,
        case
            when pre_reason = 'INCLUDED' and forwarded_over_s > 0 then 'FORWARDING_OVER_FAIR_USE'
            else pre_reason
        end as reason
    from reasoned
),

rated_duration as (
    select
        *,
        case
            when reason = 'FORWARDING_OVER_FAIR_USE' then forwarded_over_s
            when reason in ('NOT_CHARGEABLE', 'FREE', 'INCLUDED') then 0
            else duration_s
        end as rated_seconds
    from with_reason
),

billable as (
    -- R14: 0 when nothing is rated, else max(minimum, duration rounded up to the increment)
    select
        *,
        case
            when rated_seconds = 0 then 0
            else greatest(
                min_billable_s,
                ((rated_seconds + increment_s - 1) // increment_s) * increment_s
            )
        end as billable_seconds
    from rated_duration
),

final as (
    -- R14 + R2 in exact integer arithmetic on ten-thousandths of a euro:
    -- price * seconds / 60, rounded half away from zero (amounts are never negative here).
    select
        cdr_id,
        customer_id,
        sip_account,
        direction,
        callee_e164,
        zone,
        reason,
        duration_s,
        rated_seconds,
        billable_seconds,
        case
            when billable_seconds = 0 then cast(0 as decimal(18, 4))
            else cast(
                (
                    cast(connection_fee_eur * 10000 as bigint)
                    + (cast(price_per_min_eur * 10000 as bigint) * billable_seconds + 30) // 60
                ) * cast(0.0001 as decimal(5, 4)) as decimal(18, 4)
            )
        end as amount,
        start_time,
        call_date,
        caller,
        callee,
        device_id,
        prefix,
        tariff_valid_from,
        price_per_min_eur,
        connection_fee_eur,
        min_billable_s,
        increment_s,
        consumed_before as forwarding_consumed_before_s,
        forwarded_over_s,
        third_party_device,
        plan_subscription_id,
        in_unlimited_plan as national_plan_zone,
        source_file,
        row_number
    from billable
)

select * from final
