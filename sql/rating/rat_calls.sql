-- Calls that passed staging, with the normalised called number (R11), the Paris call date
-- (R1, R13) and whether the call is a candidate for charging (R10).
-- Reads: stg_cdrs, ref_customers.
with valid as (
    -- the raw text stays in stg_cdrs (rejects.sql joins it back for the few rejected rows)
    select *
    from stg_cdrs
    where reject_reason is null
),

dialled as (
    -- R11: spaces, dots, dashes and brackets are dropped
    select
        *,
        regexp_replace(coalesce(callee, ''), '[\s.()\[\]\-]', '', 'g') as dialled
    from valid
),

normalised_callee as (
    -- R11, in this order: +CC / 00CC (E.164 has at most 15 digits), French national 0XXXXXXXXX,
    -- French short numbers (2-6 digits, not starting with 0) as S + digits, E.164 already
    -- (11-15 digits). Anything else stays null: INVALID_NUMBER if the call is chargeable.
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
