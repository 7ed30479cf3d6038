-- Calls that passed staging, with the normalised called number (R11), its destination (R12),
-- the Paris call date (R1, R13) and whether the call is a candidate for charging (R10).
-- Reads: stg_cdrs, rat_numbers, rat_destinations, ref_customers.
with valid as (
    -- the raw text stays in stg_cdrs (rejects.sql joins it back for the few rejected rows)
    select *
    from stg_cdrs
    where reject_reason is null
),

number_destinations as (
    -- one row per distinct dialled text: its E.164 form and longest prefix
    select
        n.callee,
        n.callee_e164,
        d.prefix,
        d.zone
    from rat_numbers as n
    left join rat_destinations as d
        on n.callee_e164 = d.callee_e164
),

final as (
    select
        v.cdr_id,
        v.source_file,
        v.row_number,
        v.sip_account,
        v.customer_id,
        v.direction,
        v.caller,
        v.callee,
        n.callee_e164,
        n.prefix,
        n.zone,
        v.start_time,
        cast(v.start_time as date) as call_date,
        v.duration_s,
        v.device_id,
        c.telecom_professional,
        (v.direction in ('out', 'fwd') and v.duration_s > 0) as chargeable
    from valid as v
    inner join ref_customers as c
        on v.customer_id = c.customer_id
    left join number_destinations as n
        on v.callee = n.callee
)

select * from final
