//! The one tail of the event store: events after a cursor in commit order,
//! `(transaction id, position)`, read only from transactions below a
//! snapshot's xmin horizon. A transaction still running may hold a lower
//! position than rows already committed; below the horizon none can, so a
//! cursor at the last row read is a place to carry on from with nothing
//! skipped and nothing read twice.

use anyhow::Context;
use sqlx::PgConnection;

use super::{LogCursor, StoredEvent};

/// Which events a tail reads. Empty: every event.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Every event of these aggregate types.
    pub aggregates: Vec<String>,
    /// Only these (aggregate type, event type) pairs.
    pub events: Vec<(String, String)>,
    /// Only streams whose id starts so (an org's: `acme/`).
    pub aggregate_id_prefix: Option<String>,
}

/// Which transactions' rows are settled enough to read.
#[derive(Debug, Clone, Copy)]
pub enum Horizon<'a> {
    /// Below the current snapshot's xmin (the relay, the bots' feed).
    Now,
    /// Below the xmin of a snapshot taken earlier, in its text form: a long
    /// read in chunks that carries on where an earlier one stopped.
    SettledAt(&'a str),
    /// Every transaction that had committed in that snapshot: a whole
    /// history as of one instant (a replay).
    VisibleIn(&'a str),
}

/// A tail over a selection; cheap to keep and to read again.
#[derive(Debug, Clone)]
pub struct Tail {
    selection: Selection,
}

/// The columns every reader gets, payload and metadata as text. `ORDER BY`
/// names the table's columns: the output column of the same name is the
/// text-cast bigint, and ordering by it cannot use the `(transaction_id,
/// position)` index (Postgres would sort every row left).
pub(crate) const COLUMNS: &str =
    "transaction_id::text::bigint AS transaction_id, position, aggregate_type, aggregate_id,
       sequence, event_type, event_id, payload::text AS payload, metadata::text AS metadata, hash";

impl Tail {
    pub fn new(selection: Selection) -> Self {
        Self { selection }
    }

    /// Up to `limit` events after `after`, in log order.
    pub async fn read(
        &self,
        conn: &mut PgConnection,
        after: LogCursor,
        horizon: Horizon<'_>,
        limit: i64,
    ) -> anyhow::Result<Vec<StoredEvent>> {
        let mut binds = Binds::default();
        let condition = self.condition(after, horizon, &mut binds);
        let limit = binds.push(Bind::Int(limit));
        let statement = format!(
            "SELECT {COLUMNS} FROM events WHERE {condition} ORDER BY events.transaction_id, events.position LIMIT {limit}"
        );
        binds.apply(sqlx::query_as(&statement)).fetch_all(conn).await.context("reading the event store in log order")
    }

    /// How many events [`Tail::read`] would give from `after` on, all told.
    pub async fn count(&self, conn: &mut PgConnection, after: LogCursor, horizon: Horizon<'_>) -> anyhow::Result<u64> {
        let mut binds = Binds::default();
        let statement = format!("SELECT count(*) FROM events WHERE {}", self.condition(after, horizon, &mut binds));
        let (count,): (i64,) =
            binds.apply(sqlx::query_as(&statement)).fetch_one(conn).await.context("counting the event store")?;
        Ok(count.max(0) as u64)
    }

    fn condition<'a>(&'a self, after: LogCursor, horizon: Horizon<'a>, binds: &mut Binds<'a>) -> String {
        let (transaction, position) =
            (binds.push(Bind::Int(after.transaction_id)), binds.push(Bind::Int(after.position)));
        let settled = match horizon {
            Horizon::Now => "transaction_id < pg_snapshot_xmin(pg_current_snapshot())".to_owned(),
            Horizon::SettledAt(snapshot) => {
                format!("transaction_id < pg_snapshot_xmin({}::text::pg_snapshot)", binds.push(Bind::Text(snapshot)))
            }
            Horizon::VisibleIn(snapshot) => {
                format!(
                    "pg_visible_in_snapshot(transaction_id, {}::text::pg_snapshot)",
                    binds.push(Bind::Text(snapshot))
                )
            }
        };
        let mut condition =
            format!("(transaction_id, position) > ({transaction}::bigint::text::xid8, {position}) AND {settled}");
        let s = &self.selection;
        let mut wanted = Vec::new();
        if !s.aggregates.is_empty() {
            let types = binds.push(Bind::Texts(s.aggregates.iter().map(String::as_str).collect()));
            wanted.push(format!("aggregate_type = ANY({types})"));
        }
        if !s.events.is_empty() {
            let (types, events): (Vec<&str>, Vec<&str>) =
                s.events.iter().map(|(t, e)| (t.as_str(), e.as_str())).unzip();
            let (types, events) = (binds.push(Bind::Texts(types)), binds.push(Bind::Texts(events)));
            wanted.push(format!(
                "(aggregate_type, event_type) IN (SELECT * FROM unnest({types}::text[], {events}::text[]))"
            ));
        }
        if !wanted.is_empty() {
            condition.push_str(&format!(" AND ({})", wanted.join(" OR ")));
        }
        if let Some(prefix) = &s.aggregate_id_prefix {
            condition.push_str(&format!(" AND starts_with(aggregate_id, {})", binds.push(Bind::Text(prefix))));
        }
        condition
    }
}

/// A statement's parameters in the order its text numbers them.
#[derive(Debug, Default)]
struct Binds<'a>(Vec<Bind<'a>>);

#[derive(Debug)]
enum Bind<'a> {
    Int(i64),
    Text(&'a str),
    Texts(Vec<&'a str>),
}

impl<'a> Binds<'a> {
    /// Adds a parameter; its placeholder (`$n`).
    fn push(&mut self, bind: Bind<'a>) -> String {
        self.0.push(bind);
        format!("${}", self.0.len())
    }

    fn apply<'q, O>(
        self,
        mut query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>
    where
        'a: 'q,
    {
        for bind in self.0 {
            query = match bind {
                Bind::Int(value) => query.bind(value),
                Bind::Text(value) => query.bind(value),
                Bind::Texts(values) => query.bind(values),
            };
        }
        query
    }
}
