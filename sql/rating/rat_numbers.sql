-- Every distinct called number of the month as dialled, normalised (R11). Done once per
-- distinct text (a month calls far fewer numbers than it has calls), joined back in rat_calls.
-- Reads: stg_cdrs.
with dialled_numbers as (
    select distinct callee
    from stg_cdrs
    where reject_reason is null and callee is not null
),

dialled as (
    -- R11: spaces, dots, dashes and brackets are dropped (white space spelled out: the \s of
    -- DuckDB's RE2 leaves a vertical tab, Java's removes it)
    select
        callee,
        regexp_replace(callee, '[ \t\n\f\r.()\[\]\-]', '', 'g') as dialled
    from dialled_numbers
),

final as (
    -- R11, in this order: +CC / 00CC (E.164 has at most 15 digits), French national 0XXXXXXXXX,
    -- French short numbers (2-6 digits, not starting with 0) as S + digits, E.164 already
    -- (11-15 digits). Anything else stays null: INVALID_NUMBER if the call is chargeable.
    select
        callee,
        case
            when regexp_full_match(dialled, '\+[1-9][0-9]{2,14}') then substr(dialled, 2)
            when regexp_full_match(dialled, '00[1-9][0-9]{2,14}') then substr(dialled, 3)
            when regexp_full_match(dialled, '0[1-9][0-9]{8}') then '33' || substr(dialled, 2)
            when regexp_full_match(dialled, '[1-9][0-9]{1,5}') then 'S' || dialled
            when regexp_full_match(dialled, '[1-9][0-9]{10,14}') then dialled
        end as callee_e164
    from dialled
)

select * from final
