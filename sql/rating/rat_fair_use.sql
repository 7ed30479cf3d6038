-- Fair-use figures per SIP account for the month (R20, R22, R23).
-- Only calls that are rated count (a rejected row is not a call of the account).
-- Reads: rat_tariffed, stg_registrations, run_params.
with answered as (
    select
        sip_account,
        direction,
        callee_e164,
        start_time,
        duration_s
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

account_numbers as (
    select
        sip_account,
        row_number() over (order by sip_account) as account_no
    from ref_sip_accounts
),

month_length as (
    -- microseconds of the month plus one: every offset of the packed key below stays under it
    select
        month_start,
        cast(epoch_us(month_end) - epoch_us(month_start) as bigint) + 1 as span_us
    from run_params
),

call_events as (
    -- R22: a call occupies [start, start + duration); at one instant an end sorts before a
    -- start. Each event is one BIGINT key packing (account, instant, end-or-start): one global
    -- running sum ordered by it gives every account's count of calls in progress (each
    -- account's events sum to 0, so the sum is back to 0 when the next account begins),
    -- without a window per account. An end after the month is clamped to the month's end
    -- (only its order against the month's starts matters). A month with more SIP accounts than
    -- the key can hold (about 1.7 million) fails with an overflow error, never silently.
    -- No delta column: the key's last bit says start or end (issue 32: the window sorts 19.4M
    -- keys at 10M calls; without a second column it took 5.0-5.4 s instead of 5.9-6.6 s).
    select
        n.account_no * (2 * m.span_us + 2)
        + 2 * (epoch_us(a.start_time) - epoch_us(m.month_start)) + 1 as event_key
    from answered as a
    inner join account_numbers as n on a.sip_account = n.sip_account
    cross join month_length as m
    union all
    select
        n.account_no * (2 * m.span_us + 2)
        + 2 * least(
            epoch_us(a.start_time) - epoch_us(m.month_start) + a.duration_s * 1000000, m.span_us
        ) as event_key
    from answered as a
    inner join account_numbers as n on a.sip_account = n.sip_account
    cross join month_length as m
),

concurrent as (
    select
        event_key,
        -- a start (odd key) counts +1, an end (even key) -1: the sort carries the key alone
        sum(2 * (event_key % 2) - 1) over (
            order by event_key rows between unbounded preceding and current row
        ) as in_progress
    from call_events
),

max_concurrent_by_number as (
    select
        c.event_key // (2 * m.span_us + 2) as account_no,
        max(c.in_progress) as max_concurrent_calls
    from concurrent as c
    cross join month_length as m
    group by c.event_key // (2 * m.span_us + 2)
),

max_concurrent as (
    select
        n.sip_account,
        c.max_concurrent_calls
    from max_concurrent_by_number as c
    inner join account_numbers as n on c.account_no = n.account_no
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
