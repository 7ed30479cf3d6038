-- Fair-use figures per SIP account for the month (R20, R22, R23).
-- Reads: rat_calls, rat_destinations, ref_tariffs (through rat_calls' numbers), stg_registrations.
-- Parameters: $month_start, $month_end.
with answered as (
    -- calls that will be rated: not rejected INVALID_NUMBER / NO_TARIFF (see rat_priced)
    select c.*
    from rat_calls as c
    left join rat_destinations as d
        on c.callee_e164 = d.callee_e164
    where c.duration_s > 0
        and (not c.chargeable or d.zone is not null)
),

distinct_numbers as (
    -- R20: different normalised numbers called (direction out, answered)
    select
        sip_account,
        count(distinct callee_e164) as distinct_numbers
    from answered
    where direction = 'out'
    group by sip_account
),

call_events as (
    -- R22: a call occupies [start, start + duration); an end sorts before a start at one instant
    select
        sip_account,
        epoch_us(start_time) as at_us,
        1 as delta
    from answered
    union all
    select
        sip_account,
        epoch_us(start_time) + duration_s * 1000000 as at_us,
        -1 as delta
    from answered
),

concurrent as (
    select
        sip_account,
        sum(delta) over (
            partition by sip_account order by at_us, delta
            rows between unbounded preceding and current row
        ) as in_progress
    from call_events
),

max_concurrent as (
    select
        sip_account,
        max(in_progress) as max_concurrent_calls
    from concurrent
    group by sip_account
),

registrations as (
    -- R23: registrations clipped to the month; one device's overlapping intervals count once
    select
        sip_account,
        device_id,
        greatest(registered_at, $month_start) as registered_at,
        least(expires_at, $month_end) as expires_at
    from stg_registrations
    where registered_at < $month_end and expires_at > $month_start and expires_at > registered_at
),

device_islands as (
    select
        *,
        sum(case when registered_at > previous_end then 1 else 0 end) over (
            partition by sip_account, device_id order by registered_at, expires_at
            rows between unbounded preceding and current row
        ) as island
    from (
        select
            *,
            coalesce(
                max(expires_at) over (
                    partition by sip_account, device_id order by registered_at, expires_at
                    rows between unbounded preceding and 1 preceding
                ),
                registered_at
            ) as previous_end
        from registrations
    )
),

device_intervals as (
    select
        sip_account,
        device_id,
        min(registered_at) as registered_at,
        max(expires_at) as expires_at
    from device_islands
    group by sip_account, device_id, island
),

device_events as (
    select
        sip_account,
        epoch_us(registered_at) as at_us,
        1 as delta
    from device_intervals
    union all
    select
        sip_account,
        epoch_us(expires_at) as at_us,
        -1 as delta
    from device_intervals
),

registered as (
    select
        sip_account,
        sum(delta) over (
            partition by sip_account order by at_us, delta
            rows between unbounded preceding and current row
        ) as registered_now
    from device_events
),

max_registered as (
    select
        sip_account,
        max(registered_now) as max_registered_devices
    from registered
    group by sip_account
),

accounts as (
    select sip_account from distinct_numbers
    union
    select sip_account from max_concurrent
    union
    select sip_account from max_registered
),

final as (
    select
        a.sip_account,
        coalesce(n.distinct_numbers, 0) as distinct_numbers,
        coalesce(c.max_concurrent_calls, 0) as max_concurrent_calls,
        coalesce(r.max_registered_devices, 0) as max_registered_devices,
        coalesce(n.distinct_numbers, 0) > 150 as breach_distinct_numbers,
        coalesce(c.max_concurrent_calls, 0) > 3 as breach_concurrent_calls,
        coalesce(r.max_registered_devices, 0) > 3 as breach_devices
    from accounts as a
    left join distinct_numbers as n on a.sip_account = n.sip_account
    left join max_concurrent as c on a.sip_account = c.sip_account
    left join max_registered as r on a.sip_account = r.sip_account
)

select * from final
