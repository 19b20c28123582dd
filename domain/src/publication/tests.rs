//! Given/when/then: every rule and refusal of the publication aggregate.

use cqrs_es::test::TestFramework;

use super::*;
use crate::value::*;

type Publication = TestFramework<PublicationState>;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_800_000_000_000_000 + seconds * 1_000_000).unwrap()
}

fn key(k: &str) -> Option<IdempotencyKey> {
    Some(IdempotencyKey::parse(k).unwrap())
}

fn create(asset: Asset, scheduled_at: Option<Timestamp>) -> CreatePublication {
    CreatePublication {
        publication_id: PublicationId::from_uuid(uuid::Uuid::nil()),
        asset,
        targets: Targets::parse([TargetPlatform::Youtube, TargetPlatform::Discord]).unwrap(),
        title: Title::parse_required("The ace").unwrap(),
        caption: Caption::parse("what a round").unwrap(),
        hashtags: Hashtags::parse(vec![Hashtag::parse("#fps").unwrap()]).unwrap(),
        scheduled_at,
        idempotency_key: key("k-1"),
    }
}

fn clip_asset() -> Asset {
    Asset::Clip(ClipId::from_uuid(uuid::Uuid::nil()))
}

fn url_asset() -> Asset {
    Asset::Url(AssetUrl::parse("https://cdn.example.com/a.mp4").unwrap())
}

fn created(c: CreatePublication) -> PublicationEvent {
    let waiting_for_asset = matches!(c.asset, Asset::Clip(_));
    PublicationEvent::PublicationCreated(PublicationCreated {
        publication_id: c.publication_id,
        asset: c.asset,
        targets: c.targets,
        title: c.title,
        caption: c.caption,
        hashtags: c.hashtags,
        scheduled_at: c.scheduled_at,
        idempotency_key: c.idempotency_key,
        waiting_for_asset,
    })
}

fn ready() -> PublicationEvent {
    PublicationEvent::PublicationAssetReady(PublicationAssetReady {
        media_uri: MediaUri::parse("/files/c.mp4").unwrap(),
    })
}

fn attempt(target: TargetPlatform, n: u32, when: i64) -> PublicationEvent {
    PublicationEvent::PublishAttemptStarted(PublishAttemptStarted { target, attempt: n, started_at: at(when) })
}

fn failed(target: TargetPlatform, n: u32, next: Option<i64>, gave_up: bool) -> PublicationEvent {
    PublicationEvent::TargetPublishFailed(TargetPublishFailed {
        target,
        attempt: n,
        error: FailureReason::parse("503 from upstream").unwrap(),
        next_retry_at: next.map(at),
        gave_up,
    })
}

fn published(target: TargetPlatform, n: u32) -> PublicationEvent {
    PublicationEvent::TargetPublished(TargetPublished {
        target,
        attempt: n,
        post_id: PostId::parse("post-1").unwrap(),
        url: None,
    })
}

fn start(target: TargetPlatform, when: i64) -> PublicationCommand {
    PublicationCommand::StartAttempt { target, at: at(when) }
}

fn record_failure(target: TargetPlatform, retryable: bool, next: Option<i64>) -> PublicationCommand {
    PublicationCommand::RecordFailure {
        target,
        error: FailureReason::parse("503 from upstream").unwrap(),
        retryable,
        next_retry_at: next.map(at),
    }
}

use TargetPlatform::{Discord, Youtube};

#[test]
fn a_clip_publication_is_created_waiting_for_its_clip() {
    Publication::with(PublicationPolicy::default())
        .given_no_previous_events()
        .when(PublicationCommand::CreatePublication(create(clip_asset(), None)))
        .then_expect_events(vec![created(create(clip_asset(), None))]);
}

#[test]
fn a_retried_create_with_the_same_key_changes_nothing() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None))])
        .when(PublicationCommand::CreatePublication(create(url_asset(), None)))
        .then_expect_events(vec![]);
}

#[test]
fn a_create_over_an_existing_publication_with_another_key_is_refused() {
    let mut other = create(url_asset(), None);
    other.idempotency_key = key("k-2");
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None))])
        .when(PublicationCommand::CreatePublication(other))
        .then_expect_error(PublicationError::AlreadyExists);
}

#[test]
fn commands_on_a_missing_publication_are_not_found() {
    Publication::with(PublicationPolicy::default())
        .given_no_previous_events()
        .when(PublicationCommand::Cancel)
        .then_expect_error(PublicationError::NotFound);
}

#[test]
fn an_attempt_waits_for_the_clip() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(clip_asset(), None))])
        .when(start(Youtube, 0))
        .then_expect_error(PublicationError::AssetNotReady);
}

#[test]
fn a_rendered_clip_makes_the_publication_ready_once() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(clip_asset(), None))])
        .when(PublicationCommand::MarkAssetReady { media_uri: MediaUri::parse("/files/c.mp4").unwrap() })
        .then_expect_events(vec![ready()]);
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(clip_asset(), None)), ready()])
        .when(PublicationCommand::MarkAssetReady { media_uri: MediaUri::parse("/files/c.mp4").unwrap() })
        .then_expect_events(vec![]);
}

#[test]
fn a_ready_publication_starts_an_attempt() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(clip_asset(), None)), ready()])
        .when(start(Youtube, 5))
        .then_expect_events(vec![attempt(Youtube, 1, 5)]);
}

#[test]
fn an_attempt_before_the_schedule_is_refused() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), Some(at(100))))])
        .when(start(Youtube, 99))
        .then_expect_error(PublicationError::NotDueYet { due: at(100) });
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), Some(at(100))))])
        .when(start(Youtube, 100))
        .then_expect_events(vec![attempt(Youtube, 1, 100)]);
}

#[test]
fn reschedule_moves_the_due_time() {
    Publication::with(PublicationPolicy::default())
        .given(vec![
            created(create(url_asset(), Some(at(100)))),
            PublicationEvent::PublicationRescheduled(PublicationRescheduled { scheduled_at: at(500) }),
        ])
        .when(start(Youtube, 200))
        .then_expect_error(PublicationError::NotDueYet { due: at(500) });
}

#[test]
fn an_attempt_for_a_target_not_chosen_is_refused() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None))])
        .when(start(TargetPlatform::Tiktok, 0))
        .then_expect_error(PublicationError::UnknownTarget { target: TargetPlatform::Tiktok });
}

#[test]
fn two_attempts_at_once_on_one_target_are_refused() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0)])
        .when(start(Youtube, 1))
        .then_expect_error(PublicationError::AttemptInProgress { target: Youtube });
}

#[test]
fn an_attempt_whose_lease_ran_out_is_taken_over() {
    let lease = PublicationPolicy::default().attempt_lease.whole_seconds();
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0)])
        .when(start(Youtube, lease - 1))
        .then_expect_error(PublicationError::AttemptInProgress { target: Youtube });
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0)])
        .when(start(Youtube, lease))
        .then_expect_events(vec![attempt(Youtube, 2, lease)]);
}

#[test]
fn targets_are_attempted_independently() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0)])
        .when(start(Discord, 1))
        .then_expect_events(vec![attempt(Discord, 1, 1)]);
}

#[test]
fn a_successful_attempt_is_recorded_and_never_repeated() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0)])
        .when(PublicationCommand::RecordPublished {
            target: Youtube,
            post_id: PostId::parse("post-1").unwrap(),
            url: None,
        })
        .then_expect_events(vec![published(Youtube, 1)]);
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0), published(Youtube, 1)])
        .when(start(Youtube, 10))
        .then_expect_error(PublicationError::AlreadyPublished { target: Youtube });
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0), published(Youtube, 1)])
        .when(PublicationCommand::RecordPublished {
            target: Youtube,
            post_id: PostId::parse("post-2").unwrap(),
            url: None,
        })
        .then_expect_error(PublicationError::AlreadyPublished { target: Youtube });
}

#[test]
fn an_outcome_without_an_attempt_is_refused() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None))])
        .when(record_failure(Youtube, true, None))
        .then_expect_error(PublicationError::NoAttemptInProgress { target: Youtube });
}

#[test]
fn a_transient_failure_schedules_a_retry_that_waits_for_its_time() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0)])
        .when(record_failure(Youtube, true, Some(30)))
        .then_expect_events(vec![failed(Youtube, 1, Some(30), false)]);
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0), failed(Youtube, 1, Some(30), false)])
        .when(start(Youtube, 29))
        .then_expect_error(PublicationError::NotDueYet { due: at(30) });
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0), failed(Youtube, 1, Some(30), false)])
        .when(start(Youtube, 30))
        .then_expect_events(vec![attempt(Youtube, 2, 30)]);
}

#[test]
fn a_permanent_failure_gives_up() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0)])
        .when(record_failure(Youtube, false, Some(30)))
        .then_expect_events(vec![failed(Youtube, 1, None, true)]);
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0), failed(Youtube, 1, None, true)])
        .when(start(Youtube, 60))
        .then_expect_error(PublicationError::GaveUp { target: Youtube, attempts: 1 });
}

#[test]
fn the_last_allowed_attempt_failing_gives_up() {
    let policy = PublicationPolicy { max_attempts: 2, ..PublicationPolicy::default() };
    Publication::with(policy)
        .given(vec![
            created(create(url_asset(), None)),
            attempt(Youtube, 1, 0),
            failed(Youtube, 1, None, false),
            attempt(Youtube, 2, 1),
        ])
        .when(record_failure(Youtube, true, Some(99)))
        .then_expect_events(vec![failed(Youtube, 2, None, true)]);
}

#[test]
fn a_cancelled_publication_starts_nothing_but_accepts_outcomes() {
    let cancelled = PublicationEvent::PublicationCancelled(PublicationCancelled {});
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), cancelled.clone()])
        .when(start(Youtube, 0))
        .then_expect_error(PublicationError::Cancelled);
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), cancelled.clone()])
        .when(PublicationCommand::Cancel)
        .then_expect_error(PublicationError::Cancelled);
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), cancelled.clone()])
        .when(PublicationCommand::Reschedule { scheduled_at: at(10) })
        .then_expect_error(PublicationError::Cancelled);
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None)), attempt(Youtube, 1, 0), cancelled])
        .when(PublicationCommand::RecordPublished {
            target: Youtube,
            post_id: PostId::parse("post-1").unwrap(),
            url: None,
        })
        .then_expect_events(vec![published(Youtube, 1)]);
}

#[test]
fn a_finished_publication_cannot_be_cancelled_or_rescheduled() {
    let finished = vec![
        created(create(url_asset(), None)),
        attempt(Youtube, 1, 0),
        published(Youtube, 1),
        attempt(Discord, 1, 0),
        failed(Discord, 1, None, true),
    ];
    Publication::with(PublicationPolicy::default())
        .given(finished.clone())
        .when(PublicationCommand::Cancel)
        .then_expect_error(PublicationError::AlreadyFinished);
    Publication::with(PublicationPolicy::default())
        .given(finished)
        .when(PublicationCommand::Reschedule { scheduled_at: at(10) })
        .then_expect_error(PublicationError::AlreadyFinished);
}

#[test]
fn a_cancel_is_recorded() {
    Publication::with(PublicationPolicy::default())
        .given(vec![created(create(url_asset(), None))])
        .when(PublicationCommand::Cancel)
        .then_expect_events(vec![PublicationEvent::PublicationCancelled(PublicationCancelled {})]);
}
