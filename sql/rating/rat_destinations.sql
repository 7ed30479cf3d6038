-- Longest-prefix destination of every distinct normalised number (R12), as equality joins on
-- integer keys: the number's first 15 characters become a BIGINT key (short numbers `S...`
-- in their own key space), and one left join per prefix length (1 to 15) looks up the key cut
-- to that length; the longest match wins. Hash joins only: no LIKE, no range join, no cross
-- join (tests/test_plan_destinations.py checks the plan). Portable SQL.
-- Reads: rat_numbers, ref_destinations.
with numbers as (
    select distinct callee_e164
    from rat_numbers
    where callee_e164 is not null
),

keyed_numbers as (
    -- digits right-padded to 15 with zeros: the key cut to n digits is key // 10^(15 - n);
    -- a cut longer than the number is no cut (null)
    select
        callee_e164,
        substr(callee_e164, 1, 1) = 'S' as is_short,
        length(callee_e164) - (case when substr(callee_e164, 1, 1) = 'S' then 1 else 0 end)
            as digits,
        cast(
            rpad(
                substr(callee_e164, case when substr(callee_e164, 1, 1) = 'S' then 2 else 1 end, 15),
                15, '0'
            ) as bigint
        ) as number_key
    from numbers
),

prefixes as (
    select
        substr(prefix, 1, 1) = 'S' as is_short,
        length(prefix) - (case when substr(prefix, 1, 1) = 'S' then 1 else 0 end) as prefix_length,
        cast(substr(prefix, case when substr(prefix, 1, 1) = 'S' then 2 else 1 end) as bigint)
            as prefix_key,
        prefix,
        zone
    from ref_destinations
),

cut_keys as (
    select
        callee_e164,
        is_short,
        case when digits >= 15 then number_key end as k15,
        case when digits >= 14 then number_key // 10 end as k14,
        case when digits >= 13 then number_key // 100 end as k13,
        case when digits >= 12 then number_key // 1000 end as k12,
        case when digits >= 11 then number_key // 10000 end as k11,
        case when digits >= 10 then number_key // 100000 end as k10,
        case when digits >= 9 then number_key // 1000000 end as k9,
        case when digits >= 8 then number_key // 10000000 end as k8,
        case when digits >= 7 then number_key // 100000000 end as k7,
        case when digits >= 6 then number_key // 1000000000 end as k6,
        case when digits >= 5 then number_key // 10000000000 end as k5,
        case when digits >= 4 then number_key // 100000000000 end as k4,
        case when digits >= 3 then number_key // 1000000000000 end as k3,
        case when digits >= 2 then number_key // 10000000000000 end as k2,
        case when digits >= 1 then number_key // 100000000000000 end as k1
    from keyed_numbers
),

longest_prefix as (
    select
        n.callee_e164,
        coalesce(
            d15.prefix, d14.prefix, d13.prefix, d12.prefix, d11.prefix, d10.prefix, d9.prefix,
            d8.prefix, d7.prefix, d6.prefix, d5.prefix, d4.prefix, d3.prefix, d2.prefix, d1.prefix
        ) as prefix,
        coalesce(
            d15.zone, d14.zone, d13.zone, d12.zone, d11.zone, d10.zone, d9.zone,
            d8.zone, d7.zone, d6.zone, d5.zone, d4.zone, d3.zone, d2.zone, d1.zone
        ) as zone
    from cut_keys as n
    left join prefixes as d15
        on d15.prefix_length = 15 and n.is_short = d15.is_short and n.k15 = d15.prefix_key
    left join prefixes as d14
        on d14.prefix_length = 14 and n.is_short = d14.is_short and n.k14 = d14.prefix_key
    left join prefixes as d13
        on d13.prefix_length = 13 and n.is_short = d13.is_short and n.k13 = d13.prefix_key
    left join prefixes as d12
        on d12.prefix_length = 12 and n.is_short = d12.is_short and n.k12 = d12.prefix_key
    left join prefixes as d11
        on d11.prefix_length = 11 and n.is_short = d11.is_short and n.k11 = d11.prefix_key
    left join prefixes as d10
        on d10.prefix_length = 10 and n.is_short = d10.is_short and n.k10 = d10.prefix_key
    left join prefixes as d9
        on d9.prefix_length = 9 and n.is_short = d9.is_short and n.k9 = d9.prefix_key
    left join prefixes as d8
        on d8.prefix_length = 8 and n.is_short = d8.is_short and n.k8 = d8.prefix_key
    left join prefixes as d7
        on d7.prefix_length = 7 and n.is_short = d7.is_short and n.k7 = d7.prefix_key
    left join prefixes as d6
        on d6.prefix_length = 6 and n.is_short = d6.is_short and n.k6 = d6.prefix_key
    left join prefixes as d5
        on d5.prefix_length = 5 and n.is_short = d5.is_short and n.k5 = d5.prefix_key
    left join prefixes as d4
        on d4.prefix_length = 4 and n.is_short = d4.is_short and n.k4 = d4.prefix_key
    left join prefixes as d3
        on d3.prefix_length = 3 and n.is_short = d3.is_short and n.k3 = d3.prefix_key
    left join prefixes as d2
        on d2.prefix_length = 2 and n.is_short = d2.is_short and n.k2 = d2.prefix_key
    left join prefixes as d1
        on d1.prefix_length = 1 and n.is_short = d1.is_short and n.k1 = d1.prefix_key
),

final as (
    select
        callee_e164,
        prefix,
        zone
    from longest_prefix
    where zone is not null
)

select * from final
