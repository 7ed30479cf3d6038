-- Longest-prefix destination of every distinct normalised number (R12), as equality joins:
-- each number is cut at every prefix length that exists in the rate book, and the longest cut
-- that is a prefix wins. Hash joins only (no LIKE, no range join), portable SQL.
-- Reads: rat_calls, ref_destinations.
with numbers as (
    select distinct callee_e164
    from rat_calls
    where callee_e164 is not null
),

prefix_lengths as (
    select distinct length(prefix) as prefix_length
    from ref_destinations
),

cuts as (
    select
        n.callee_e164,
        l.prefix_length,
        substr(n.callee_e164, 1, l.prefix_length) as cut
    from numbers as n
    cross join prefix_lengths as l
    where length(n.callee_e164) >= l.prefix_length
),

matches as (
    select
        c.callee_e164,
        d.prefix,
        d.zone,
        row_number() over (
            partition by c.callee_e164 order by c.prefix_length desc
        ) as rank_by_length
    from cuts as c
    inner join ref_destinations as d
        on c.cut = d.prefix
),

final as (
    select
        callee_e164,
        prefix,
        zone
    from matches
    where rank_by_length = 1
)

select * from final
