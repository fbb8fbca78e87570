{{ config(severity='warn') }}

-- Warns when the served model's quality on the stream's newest fully labelled week (the last
-- 7 days of fraud_model_performance whose every label is known) falls below the var
-- model_quality_floor (0.8) times its quality on the first fully labelled week: recall at
-- the served threshold, or card precision@100 (the daily figure, averaged). Silent until two
-- such weeks exist. A row per measure that fell, with both figures.

{%- set floor = project_var('model_quality_floor') | float %}

with

days as (

    -- One row a day: a day two versions scored has a row for each.
    select
        stream_day,
        sum(frauds_known) as frauds_known,
        sum(frauds_caught) as frauds_caught,
        avg(card_precision_at_100) as card_precision_at_100
    from {{ ref('fraud_model_performance') }}
    where label_known_share = 1
    group by stream_day

),

labelled_days as (

    select
        stream_day,
        frauds_known,
        frauds_caught,
        card_precision_at_100,
        row_number() over (order by stream_day) as from_first,
        row_number() over (order by stream_day desc) as from_last,
        count(*) over () as fully_labelled_days
    from days

),

weeks as (

    select
        case when from_first <= 7 then 'first' else 'newest' end as which_week,
        cast(sum(frauds_caught) as double precision) / nullif(sum(frauds_known), 0) as week_recall,
        avg(card_precision_at_100) as card_precision_at_100
    from labelled_days
    where fully_labelled_days >= 14 and (from_first <= 7 or from_last <= 7)
    group by case when from_first <= 7 then 'first' else 'newest' end

),

compared as (

    select
        first_week.week_recall as first_recall,
        newest_week.week_recall as newest_recall,
        first_week.card_precision_at_100 as first_card_precision_at_100,
        newest_week.card_precision_at_100 as newest_card_precision_at_100
    from weeks as first_week
    cross join weeks as newest_week
    where first_week.which_week = 'first' and newest_week.which_week = 'newest'

)

select
    'recall' as measure,
    first_recall as first_week,
    newest_recall as newest_week
from compared
where newest_recall < {{ floor }} * first_recall
union all
select
    'card_precision_at_100' as measure,
    first_card_precision_at_100 as first_week,
    newest_card_precision_at_100 as newest_week
from compared
where newest_card_precision_at_100 < {{ floor }} * first_card_precision_at_100
