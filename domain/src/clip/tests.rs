//! Given/when/then: the clip state machine and its refusals.

use cqrs_es::test::TestFramework;

use super::*;
use crate::value::*;

type Clip = TestFramework<ClipState>;

fn request() -> RequestClip {
    RequestClip {
        clip_id: ClipId::from_uuid(uuid::Uuid::nil()),
        channel: ChannelId::parse("shroud").unwrap(),
        source: ClipSource::parse("vods/stream.mkv").unwrap(),
        start: ClipStart::from_millis(90_000).unwrap(),
        duration: ClipDuration::from_millis(30_000).unwrap(),
        container: Container::Mp4,
        reencode: false,
        title: Title::parse("the ace").unwrap(),
        requested_by: ActorId::parse("svc:bot").unwrap(),
    }
}

fn requested() -> ClipEvent {
    ClipEvent::ClipRequested(ClipRequested::from(request()))
}

fn worker() -> ActorId {
    ActorId::parse("worker:renderer-1").unwrap()
}

fn started(attempt: u32) -> ClipEvent {
    ClipEvent::ClipRenderingStarted(ClipRenderingStarted { attempt, worker: worker() })
}

fn failed(attempt: u32, retryable: bool) -> ClipEvent {
    ClipEvent::ClipRenderingFailed(ClipRenderingFailed {
        attempt,
        reason: FailureReason::parse("ffmpeg exited 1").unwrap(),
        retryable,
    })
}

fn output() -> RenderedClip {
    RenderedClip {
        uri: MediaUri::parse("/files/clips/00/clip.mp4").unwrap(),
        thumbnail_uri: MediaUri::parse("/files/clips/00/clip.jpg").unwrap(),
        duration_ms: 30_016,
        size_bytes: 1_234_567,
        sha256: ContentHash::parse("a".repeat(64)).unwrap(),
    }
}

fn fail(retryable: bool) -> ClipCommand {
    ClipCommand::FailRendering { reason: FailureReason::parse("ffmpeg exited 1").unwrap(), retryable }
}

fn start() -> ClipCommand {
    ClipCommand::StartRendering { worker: worker() }
}

#[test]
fn a_clip_is_requested() {
    Clip::with(ClipPolicy::default())
        .given_no_previous_events()
        .when(ClipCommand::RequestClip(request()))
        .then_expect_events(vec![requested()]);
}

#[test]
fn a_clip_cannot_be_requested_twice() {
    Clip::with(ClipPolicy::default())
        .given(vec![requested()])
        .when(ClipCommand::RequestClip(request()))
        .then_expect_error(ClipError::AlreadyRequested);
}

#[test]
fn transitions_on_a_missing_clip_are_not_found() {
    for command in [start(), ClipCommand::CompleteRendering(output()), fail(true)] {
        Clip::with(ClipPolicy::default())
            .given_no_previous_events()
            .when(command)
            .then_expect_error(ClipError::NotFound);
    }
}

#[test]
fn a_requested_clip_starts_rendering_as_attempt_one() {
    Clip::with(ClipPolicy::default()).given(vec![requested()]).when(start()).then_expect_events(vec![started(1)]);
}

#[test]
fn a_rendering_clip_completes() {
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1)])
        .when(ClipCommand::CompleteRendering(output()))
        .then_expect_events(vec![ClipEvent::ClipRendered(output())]);
}

#[test]
fn a_rendering_clip_fails_with_a_retry_left() {
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1)])
        .when(fail(true))
        .then_expect_events(vec![failed(1, true)]);
}

#[test]
fn a_retryable_failure_may_start_again() {
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1), failed(1, true)])
        .when(start())
        .then_expect_events(vec![started(2)]);
}

#[test]
fn the_last_attempt_failing_is_final_even_if_transient() {
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1), failed(1, true), started(2), failed(2, true), started(3)])
        .when(fail(true))
        .then_expect_events(vec![failed(3, false)]);
}

#[test]
fn no_attempt_beyond_the_limit() {
    Clip::with(ClipPolicy { max_attempts: 2 })
        .given(vec![requested(), started(1), failed(1, true), started(2), failed(2, false)])
        .when(start())
        .then_expect_error(ClipError::RetryLimitReached { attempts: 2 });
}

#[test]
fn a_permanent_failure_cannot_be_retried() {
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1), failed(1, false)])
        .when(start())
        .then_expect_error(ClipError::FailureNotRetryable);
}

/// A renderer that died mid-job leaves the clip rendering; the worker that
/// takes over its partition claims it again, as a new attempt.
#[test]
fn a_clip_left_rendering_is_taken_over_as_a_new_attempt() {
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1)])
        .when(start())
        .then_expect_events(vec![started(2)]);
    Clip::with(ClipPolicy { max_attempts: 2 })
        .given(vec![requested(), started(1), started(2)])
        .when(start())
        .then_expect_error(ClipError::RetryLimitReached { attempts: 2 });
}

#[test]
fn illegal_transitions_are_refused_with_the_state_they_came_from() {
    let cases = [
        (
            vec![requested(), started(1), ClipEvent::ClipRendered(output())],
            start(),
            ClipStatus::Rendered,
            "start rendering",
        ),
        (vec![requested()], ClipCommand::CompleteRendering(output()), ClipStatus::Requested, "complete"),
        (vec![requested()], fail(true), ClipStatus::Requested, "fail"),
        (vec![requested(), started(1), ClipEvent::ClipRendered(output())], fail(true), ClipStatus::Rendered, "fail"),
        (
            vec![requested(), started(1), failed(1, true)],
            ClipCommand::CompleteRendering(output()),
            ClipStatus::Failed { retryable: true },
            "complete",
        ),
    ];
    for (given, when, from, action) in cases {
        Clip::with(ClipPolicy::default())
            .given(given)
            .when(when)
            .then_expect_error(ClipError::IllegalTransition { from, action });
    }
}

fn deleted() -> ClipEvent {
    ClipEvent::ClipDeleted(ClipDeleted { reason: FailureReason::parse("retention: older than 30 days").unwrap() })
}

fn delete() -> ClipCommand {
    ClipCommand::DeleteClip { reason: FailureReason::parse("retention: older than 30 days").unwrap() }
}

#[test]
fn a_rendered_clip_is_deleted_and_its_output_forgotten() {
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1), ClipEvent::ClipRendered(output())])
        .when(delete())
        .then_expect_events(vec![deleted()]);
    let mut state = ClipState::default();
    for event in [requested(), started(1), ClipEvent::ClipRendered(output()), deleted()] {
        state.evolve(&event);
    }
    assert_eq!((state.status(), state.rendered()), (Some(ClipStatus::Deleted), None));
}

#[test]
fn only_a_rendered_clip_can_be_deleted_and_a_deleted_one_is_not_rendered_again() {
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1)])
        .when(delete())
        .then_expect_error(ClipError::IllegalTransition { from: ClipStatus::Rendering, action: "delete" });
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1), ClipEvent::ClipRendered(output()), deleted()])
        .when(delete())
        .then_expect_error(ClipError::IllegalTransition { from: ClipStatus::Deleted, action: "delete" });
    Clip::with(ClipPolicy::default())
        .given(vec![requested(), started(1), ClipEvent::ClipRendered(output()), deleted()])
        .when(start())
        .then_expect_error(ClipError::IllegalTransition { from: ClipStatus::Deleted, action: "start rendering" });
}
