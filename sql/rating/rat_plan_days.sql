-- Each unlimited plan on each Paris day of the month's calls that it covers (R15, R31): plans
-- x days, a small table, so that rat_priced finds a call's plan by equality on (account, day).
-- A table, not a CTE: DuckDB then knows it is small and builds its hash tables on it (from a
-- CTE with a range join it overestimated the rows and built the join's hash table on the
-- calls instead, docs/performance.md).
-- Reads: rat_call_days, ref_subscriptions, ref_products.
with unlimited_plans as (
    -- R15 + R31: coverage from the order date to the service end date (notice + 1 month),
    -- both included
    select
        s.subscription_id,
        s.sip_account,
        s.order_date,
        coalesce(cast(s.notice_date + interval '1' month as date), date '9999-12-31') as end_date
    from ref_subscriptions as s
    inner join ref_products as p
        on s.product_code = p.product_code
    where p.unlimited and s.sip_account is not null
),

final as (
    select
        p.subscription_id,
        p.sip_account,
        d.call_date
    from unlimited_plans as p
    inner join rat_call_days as d
        on p.order_date <= d.call_date and p.end_date >= d.call_date
)

select * from final
