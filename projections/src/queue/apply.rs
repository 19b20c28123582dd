//! One clip or publication event applied to the queue-state rows.

use super::sql;
use anyhow::Context;
use sqlx::PgConnection;
use time::OffsetDateTime;
use wavestack_domain::clip::ClipEvent;
use wavestack_domain::publication::PublicationEvent;
use wavestack_domain::value::Asset;
use wavestack_schemas::LogEnvelope;

pub(super) async fn clip_event(
    conn: &mut PgConnection,
    s: &str,
    envelope: &LogEnvelope,
    event: &ClipEvent,
) -> anyhow::Result<()> {
    let stream = envelope.aggregate_id.as_str();
    let at = envelope.metadata.occurred_at.as_datetime();
    match event {
        ClipEvent::ClipRequested(r) => {
            sqlx::query(&sql::inserting_a_clip_job(s))
                .bind(stream)
                .bind(envelope.metadata.org.as_str())
                .bind(r.clip_id.as_uuid())
                .bind(r.channel.as_str())
                .bind(r.title.as_str())
                .bind(r.source.as_str())
                .bind(r.start.millis() as i64)
                .bind(r.duration.millis() as i64)
                .bind(r.container.to_string())
                .bind(r.reencode)
                .bind(r.requested_by.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("inserting a clip job")?;
            // Publications of this clip read before its request learn their channel.
            sqlx::query(&sql::giving_publications_their_clips_channel(s))
                .bind(stream)
                .bind(r.channel.as_str())
                .execute(&mut *conn)
                .await
                .context("giving publications their clip's channel")?;
        }
        ClipEvent::ClipRenderingStarted(started) => {
            sqlx::query(&sql::marking_a_clip_rendering(s))
                .bind(stream)
                .bind(started.attempt as i32)
                .bind(started.worker.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("marking a clip rendering")?;
        }
        ClipEvent::ClipRendered(rendered) => {
            sqlx::query(&sql::marking_a_clip_rendered(s))
                .bind(stream)
                .bind(rendered.uri.as_str())
                .bind(rendered.thumbnail_uri.as_str())
                .bind(rendered.duration_ms as i64)
                .bind(rendered.size_bytes as i64)
                .bind(rendered.sha256.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("marking a clip rendered")?;
        }
        ClipEvent::ClipRenderingFailed(failed) => {
            sqlx::query(&sql::marking_a_clip_failed(s))
                .bind(stream)
                .bind(failed.attempt as i32)
                .bind(failed.reason.as_str())
                .bind(failed.retryable)
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("marking a clip failed")?;
        }
        ClipEvent::ClipDeleted(deleted) => {
            // The job stays, its files are gone: no URL to hand out.
            sqlx::query(&sql::marking_a_clip_deleted(s))
                .bind(stream)
                .bind(deleted.reason.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("marking a clip deleted")?;
        }
    }
    Ok(())
}

pub(super) async fn publication_event(
    conn: &mut PgConnection,
    s: &str,
    envelope: &LogEnvelope,
    event: &PublicationEvent,
) -> anyhow::Result<()> {
    let stream = envelope.aggregate_id.as_str();
    let at = envelope.metadata.occurred_at.as_datetime();
    match event {
        PublicationEvent::PublicationCreated(c) => {
            let org = &envelope.metadata.org;
            let (clip_stream, clip_id, asset_url) = match &c.asset {
                Asset::Clip(id) => {
                    (Some(String::from(wavestack_domain::clip::stream_id(org, *id))), Some(id.as_uuid()), None)
                }
                Asset::Url(url) => (None, None, Some(url.as_str())),
            };
            let hashtags: Vec<&str> = c.hashtags.iter().map(|h| h.as_str()).collect();
            sqlx::query(&sql::inserting_a_publication(s))
                .bind(stream)
                .bind(org.as_str())
                .bind(c.publication_id.as_uuid())
                .bind(&clip_stream)
                .bind(clip_id)
                .bind(asset_url)
                .bind(c.title.as_str())
                .bind(c.caption.as_str())
                .bind(&hashtags)
                .bind(c.scheduled_at.map(|t| t.as_datetime()))
                .bind(c.waiting_for_asset)
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("inserting a publication")?;
            let platforms: Vec<String> = c.targets.iter().map(|t| t.to_string()).collect();
            sqlx::query(&sql::inserting_publication_targets(s))
                .bind(stream)
                .bind(org.as_str())
                .bind(at)
                .bind(&platforms)
                .execute(&mut *conn)
                .await
                .context("inserting publication targets")?;
        }
        PublicationEvent::PublicationAssetReady(ready) => {
            update_publication(
                conn,
                s,
                stream,
                "waiting_for_asset = false, media_uri = $3",
                at,
                ready.media_uri.to_string(),
            )
            .await?;
        }
        PublicationEvent::PublicationRescheduled(r) => {
            update_publication(conn, s, stream, "scheduled_at = $3", at, r.scheduled_at.as_datetime()).await?;
        }
        PublicationEvent::PublicationCancelled(_) => {
            update_publication(conn, s, stream, "cancelled = $3", at, true).await?;
            sqlx::query(&sql::cancelling_publication_targets(s))
                .bind(stream)
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("cancelling publication targets")?;
        }
        PublicationEvent::PublishAttemptStarted(e) => {
            sqlx::query(&sql::marking_a_target_attempting(s))
                .bind(stream)
                .bind(e.target.to_string())
                .bind(e.attempt as i32)
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("marking a target attempting")?;
        }
        PublicationEvent::TargetPublished(e) => {
            sqlx::query(&sql::marking_a_target_published(s))
                .bind(stream)
                .bind(e.target.to_string())
                .bind(e.attempt as i32)
                .bind(e.post_id.as_str())
                .bind(e.url.as_ref().map(|u| u.as_str()))
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("marking a target published")?;
        }
        PublicationEvent::TargetPublishFailed(e) => {
            sqlx::query(&sql::marking_a_target_failed(s))
                .bind(stream)
                .bind(e.target.to_string())
                .bind(if e.gave_up { "gave_up" } else { "failed" })
                .bind(e.attempt as i32)
                .bind(e.error.as_str())
                .bind(e.next_retry_at.map(|t| t.as_datetime()))
                .bind(at)
                .execute(&mut *conn)
                .await
                .context("marking a target failed")?;
        }
    }
    Ok(())
}

/// Sets `assignment` (which reads its value as `$3`) on a publication.
async fn update_publication<V>(
    conn: &mut PgConnection,
    s: &str,
    stream: &str,
    assignment: &str,
    at: OffsetDateTime,
    value: V,
) -> anyhow::Result<()>
where
    V: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + 'static,
{
    sqlx::query(&sql::setting_a_publication_column(s, assignment))
        .bind(stream)
        .bind(at)
        .bind(value)
        .execute(conn)
        .await
        .with_context(|| format!("updating a publication ({assignment})"))?;
    Ok(())
}
