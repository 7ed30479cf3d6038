-- Staged SIP registrations of the month; `problem` names what is wrong with a bad row, and the
-- run stops on the first one (bad input, exit 2).
-- Reads: raw_registrations (pipeline/inputs/cdrs.py).
with parsed as (
    select
        source_file,
        row_number,
        raw,
        n_fields,
        expected_fields,
        sip_account,
        device_id,
        registered_at,
        expires_at,
        case
            when
                regexp_full_match(
                    registered_at,
                    '\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-](0\d|1[0-4])(:?[0-5]\d)?)?'
                )
                then try_cast(registered_at as timestamptz)
        end as read_registered_at,
        case
            when
                regexp_full_match(
                    expires_at,
                    '\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-](0\d|1[0-4])(:?[0-5]\d)?)?'
                )
                then try_cast(expires_at as timestamptz)
        end as read_expires_at
    from raw_registrations
),

typed as (
    select
        source_file,
        row_number,
        raw,
        n_fields,
        expected_fields,
        sip_account,
        device_id,
        -- the hour that happens twice: its second occurrence, as stg_cdr_fields.sql reads it
        case
            when
                substr(registered_at, 12, 2) = '02'
                and regexp_full_match(registered_at, '.{10}[T ]02:\d{2}(:\d{2}(\.\d+)?)?')
                and cast(read_registered_at + interval 1 hour as timestamp)
                = cast(read_registered_at as timestamp)
                then read_registered_at + interval 1 hour
            else read_registered_at
        end as registered_at,
        case
            when
                substr(expires_at, 12, 2) = '02'
                and regexp_full_match(expires_at, '.{10}[T ]02:\d{2}(:\d{2}(\.\d+)?)?')
                and cast(read_expires_at + interval 1 hour as timestamp)
                = cast(read_expires_at as timestamp)
                then read_expires_at + interval 1 hour
            else read_expires_at
        end as expires_at
    from parsed
),

final as (
    select
        *,
        case
            when n_fields <> expected_fields
                then 'has ' || n_fields || ' fields, the header has ' || expected_fields
            when sip_account is null then 'sip_account is empty'
            when device_id is null then 'device_id is empty'
            when registered_at is null then 'registered_at is not an ISO 8601 timestamp'
            when expires_at is null then 'expires_at is not an ISO 8601 timestamp'
            when expires_at < registered_at then 'expires_at is before registered_at'
        end as problem
    from typed
)

select * from final
