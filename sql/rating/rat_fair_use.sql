-- Fair-use figures per SIP account for the month (R20, R22, R23).
-- Only calls that are rated count (a rejected row is not a call of the account).
-- Reads: rat_tariffed, stg_registrations, run_params.
with answered as (
    select *
    from rat_tariffed
    where duration_s > 0 and reject_reason is null
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
        start_time as at_time,
        1 as delta
    from answered
    union all
    select
        sip_account,
        start_time + duration_s * interval '1' second as at_time,
        -1 as delta
    from answered
),

concurrent as (
    select
        sip_account,
        sum(delta) over (
            partition by sip_account order by at_time, delta
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
        r.sip_account,
        r.device_id,
        greatest(r.registered_at, m.month_start) as registered_at,
        least(r.expires_at, m.month_end) as expires_at
    from stg_registrations as r
    cross join run_params as m
    where
        r.registered_at < m.month_end
        and r.expires_at > m.month_start
        and r.expires_at > r.registered_at
),

device_previous_end as (
    -- the latest expiry among the device's earlier registrations
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
),

device_islands as (
    -- a new island starts when a registration begins after every earlier one has expired
    select
        *,
        sum(case when registered_at > previous_end then 1 else 0 end) over (
            partition by sip_account, device_id order by registered_at, expires_at
            rows between unbounded preceding and current row
        ) as island
    from device_previous_end
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
        registered_at as at_time,
        1 as delta
    from device_intervals
    union all
    select
        sip_account,
        expires_at as at_time,
        -1 as delta
    from device_intervals
),

registered as (
    select
        sip_account,
        sum(delta) over (
            partition by sip_account order by at_time, delta
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
