-- Calls that passed staging, with the normalised called number (R11), the Paris call date
-- (R1, R13) and whether the call is a candidate for charging (R10).
-- Reads: stg_cdrs, ref_customers.
with valid as (
    select *
    from stg_cdrs
    where reject_reason is null
),

dialled as (
    select
        *,
        regexp_replace(coalesce(callee, ''), '[\s.()\-]', '', 'g') as dialled
    from valid
),

normalised_callee as (
    select
        *,
        case
            when regexp_full_match(dialled, '\+[1-9][0-9]{2,14}') then substr(dialled, 2)
            when regexp_full_match(dialled, '00[1-9][0-9]{2,14}') then substr(dialled, 3)
            when regexp_full_match(dialled, '0[1-9][0-9]{8}') then '33' || substr(dialled, 2)
            when regexp_full_match(dialled, '[1-9][0-9]{1,5}') then 'S' || dialled
            when regexp_full_match(dialled, '[1-9][0-9]{10,14}') then dialled
        end as callee_e164
    from dialled
),

final as (
    select
        n.cdr_id,
        n.source_file,
        n.row_number,
        n.raw,
        n.sip_account,
        n.customer_id,
        n.direction,
        n.caller,
        n.callee,
        n.callee_e164,
        n.start_time,
        cast(n.start_time as date) as call_date,
        n.duration_s,
        n.device_id,
        c.telecom_professional,
        (n.direction in ('out', 'fwd') and n.duration_s > 0) as chargeable
    from normalised_callee as n
    inner join ref_customers as c
        on n.customer_id = c.customer_id
)

select * from final
