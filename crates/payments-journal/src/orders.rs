//! The journal's orders: one merchant order is one payment. A row per
//! (scope, order id) in `payments_orders` holds the keyed digests of the
//! order's terms, the attempt being paid and the lease of the process
//! preparing it; each entry in `payments_journal` names its order and
//! attempt, one entry per attempt (a unique index).

use std::sync::{Arc, PoisonError};
use std::time::{Duration, SystemTime};

use crate::store::{
    COLUMNS, Claimed, Entry, InFlight, Journal, JournalError, KEEP_LONGER_LEASE, Row, SWEPT, Stage,
    duration_millis, now_millis, on_pool,
};

/// An order's terms as the journal keeps them: each field's name and the
/// keyed digest of its value, in the order the provider crate gives them.
pub(crate) type TermDigests = Vec<(String, String)>;

/// What [`Journal::take_order`] found.
pub(crate) enum Taken {
    /// This task prepares attempt `attempt` at the order (a new order, or
    /// one whose preparing process went away before writing its payment
    /// down); the guard marks it as being prepared here.
    Prepare { attempt: u32, guard: InFlight },
    /// The order was first submitted with another value of `field`.
    Differs { field: String },
    /// The current attempt's payment is written down: here it is.
    Entry { attempt: u32, entry: Box<Entry> },
    /// Another task or process is preparing the current attempt.
    Preparing,
}

/// Which entries [`Journal::list`] returns: by stage and by age, oldest
/// change first — for an operations page.
///
/// ```
/// use std::time::Duration;
/// use payments_journal::{EntryFilter, Stage};
///
/// // Open for more than ten minutes: what the sweeper has not settled yet.
/// let stuck = EntryFilter::new()
///     .stage(Stage::Committing)
///     .stage(Stage::Unknown)
///     .unchanged_for(Duration::from_secs(600))
///     .limit(50);
/// # let _ = stuck;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    stages: Vec<Stage>,
    unchanged_for: Option<Duration>,
    limit: Option<usize>,
}

impl EntryFilter {
    /// Every entry.
    pub fn new() -> Self {
        EntryFilter::default()
    }

    /// Entries at `stage` too (by default, at any stage).
    #[must_use]
    pub fn stage(mut self, stage: Stage) -> Self {
        if !self.stages.contains(&stage) {
            self.stages.push(stage);
        }
        self
    }

    /// Only entries that have not changed for `age` or longer.
    #[must_use]
    pub fn unchanged_for(mut self, age: Duration) -> Self {
        self.unchanged_for = Some(age);
        self
    }

    /// At most `limit` entries.
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl Journal {
    /// The keyed digests of an order's terms (see [`Sealer::term_digest`](crate::seal::Sealer)).
    pub(crate) fn term_digests(
        &self,
        scope: &str,
        order_id: &str,
        terms: &[payments_core::order::OrderTerm],
    ) -> TermDigests {
        use payments_core::ExposeSecret;
        terms
            .iter()
            .map(|term| {
                let digest = self.sealer.term_digest(
                    scope,
                    order_id,
                    term.field,
                    term.value.expose_secret(),
                );
                (term.field.to_owned(), digest)
            })
            .collect()
    }

    /// Marks order `order_id` of `scope` as being prepared by this task;
    /// `None` if another task of this process holds it.
    fn mark_order(&self, scope: &str, order_id: &str) -> Option<InFlight> {
        let key = (scope.to_owned(), order_id.to_owned());
        let fresh = self
            .orders_in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.clone());
        fresh.then(|| InFlight {
            set: Arc::clone(&self.orders_in_flight),
            key,
        })
    }

    /// Where order `order_id` of `scope` stands, taking it to prepare when
    /// nobody else is: a new order is written with `terms` and attempt 1,
    /// leased to this process for `lease`.
    pub(crate) async fn take_order(
        &self,
        scope: &str,
        order_id: &str,
        terms: &TermDigests,
        lease: Duration,
    ) -> Result<Taken, JournalError> {
        let now = now_millis();
        let until = now.saturating_add(duration_millis(lease));
        let mark = self.mark_order(scope, order_id);
        if let Some(guard) = mark {
            let written = serde_json::to_string(terms).map_err(|e| JournalError::Entry {
                provider: scope.to_owned(),
                reference: order_id.to_owned(),
                reason: format!("the order's terms do not serialize: {e}"),
            })?;
            let inserted = on_pool!(self, |pool| {
                sqlx::query(
                "INSERT INTO payments_orders \
                 (provider, order_id, terms, attempt, lease_owner, lease_until, created_at, updated_at) \
                 VALUES ($1, $2, $3, 1, $4, $5, $6, $6) ON CONFLICT (provider, order_id) DO NOTHING"
            )
            .bind(scope)
            .bind(order_id)
            .bind(&written)
            .bind(&*self.owner)
            .bind(until)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
            });
            if inserted == 1 {
                return Ok(Taken::Prepare { attempt: 1, guard });
            }
            return self
                .existing_order(scope, order_id, terms, Some(guard), (now, until))
                .await;
        }
        self.existing_order(scope, order_id, terms, None, (now, until))
            .await
    }

    async fn existing_order(
        &self,
        scope: &str,
        order_id: &str,
        terms: &TermDigests,
        mark: Option<InFlight>,
        (now, until): (i64, i64),
    ) -> Result<Taken, JournalError> {
        let row: Option<(String, i64)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT terms, attempt FROM payments_orders WHERE provider = $1 AND order_id = $2"
        )
        .bind(scope)
        .bind(order_id)
        .fetch_optional(pool)
        .await?);
        // Written by another task of this process an instant ago.
        let Some((recorded, attempt)) = row else {
            return Ok(Taken::Preparing);
        };
        if let Some(field) = differing_term(terms, &recorded) {
            // Terms are kept once something was written down for the order.
            // Before that — its prepare refused them (a mistyped voucher or
            // customer), nothing sent — the order may be submitted again on
            // corrected terms, once nobody is preparing it.
            if let Some(guard) = mark {
                let written = serde_json::to_string(terms).unwrap_or_default();
                let replaced = on_pool!(self, |pool| {
                    sqlx::query(
                    "UPDATE payments_orders SET terms = $1, lease_owner = $2, lease_until = $3, updated_at = $4 \
                     WHERE provider = $5 AND order_id = $6 AND terms = $7 \
                     AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < $4 OR lease_owner = $2) \
                     AND NOT EXISTS (SELECT 1 FROM payments_journal j WHERE j.provider = $5 AND j.order_id = $6)"
                )
                .bind(&written)
                .bind(&*self.owner)
                .bind(until)
                .bind(now)
                .bind(scope)
                .bind(order_id)
                .bind(&recorded)
                .execute(pool)
                .await?
                .rows_affected()
                });
                if replaced == 1 {
                    let attempt = u32::try_from(attempt).unwrap_or(u32::MAX);
                    return Ok(Taken::Prepare { attempt, guard });
                }
            }
            return Ok(Taken::Differs { field });
        }
        let attempt = u32::try_from(attempt).unwrap_or(u32::MAX);
        if let Some(entry) = self.attempt_entry(scope, order_id, attempt).await? {
            return Ok(Taken::Entry {
                attempt,
                entry: Box::new(entry),
            });
        }
        let Some(guard) = mark else {
            return Ok(Taken::Preparing);
        };
        // Nothing written down for this attempt: its preparing process went
        // away (its lease ran out, or it is this process's own from before a
        // restart). Nothing was sent for it: prepare it here.
        let taken = on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE payments_orders SET lease_owner = $1, lease_until = $2, updated_at = $3 \
             WHERE provider = $4 AND order_id = $5 AND attempt = $6 \
             AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < $3 OR lease_owner = $1)"
        )
        .bind(&*self.owner)
        .bind(until)
        .bind(now)
        .bind(scope)
        .bind(order_id)
        .bind(i64::from(attempt))
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(if taken == 1 {
            Taken::Prepare { attempt, guard }
        } else {
            Taken::Preparing
        })
    }

    /// Begins attempt `after + 1` at order `order_id` of `scope`, leased to
    /// this process for `lease`, if the order is still at attempt `after`
    /// and no other task of this process holds it; the guard marks it as
    /// being prepared here.
    pub(crate) async fn next_attempt(
        &self,
        scope: &str,
        order_id: &str,
        after: u32,
        lease: Duration,
    ) -> Result<Option<InFlight>, JournalError> {
        let Some(guard) = self.mark_order(scope, order_id) else {
            return Ok(None);
        };
        let now = now_millis();
        let done = on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE payments_orders SET attempt = attempt + 1, lease_owner = $1, lease_until = $2, \
             updated_at = $3 WHERE provider = $4 AND order_id = $5 AND attempt = $6"
        )
        .bind(&*self.owner)
        .bind(now.saturating_add(duration_millis(lease)))
        .bind(now)
        .bind(scope)
        .bind(order_id)
        .bind(i64::from(after))
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok((done == 1).then_some(guard))
    }

    /// Releases this process's lease on preparing order `order_id` of
    /// `scope` (its prepare failed, or it was not started: nothing was
    /// sent, and a repeat may prepare it at once). An attempt past the
    /// first that was never written down is taken back: the order stands
    /// at its failed attempt again, and only `pay_again` begins another.
    pub(crate) async fn release_order(
        &self,
        scope: &str,
        order_id: &str,
    ) -> Result<(), JournalError> {
        let sql = "UPDATE payments_orders SET lease_owner = NULL, lease_until = NULL, updated_at = $1, \
             attempt = CASE WHEN attempt > 1 AND NOT EXISTS (SELECT 1 FROM payments_journal j \
               WHERE j.provider = $2 AND j.order_id = $3 AND j.order_attempt = payments_orders.attempt) \
             THEN attempt - 1 ELSE attempt END \
             WHERE provider = $2 AND order_id = $3 AND lease_owner = $4";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(now_millis())
            .bind(scope)
            .bind(order_id)
            .bind(&*self.owner)
            .execute(pool)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// The entry of attempt `attempt` at order `order_id` of `provider`.
    pub(crate) async fn attempt_entry(
        &self,
        provider: &str,
        order_id: &str,
        attempt: u32,
    ) -> Result<Option<Entry>, JournalError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM payments_journal \
             WHERE provider = $1 AND order_id = $2 AND order_attempt = $3"
        );
        let row: Option<Row> = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(provider)
            .bind(order_id)
            .bind(i64::from(attempt))
            .fetch_optional(pool)
            .await?);
        Ok(row.map(Row::into_entry))
    }

    /// Takes the open entry `reference` of `provider` to settle it — if no
    /// other process holds its lease (or it is this process's own, and no
    /// task here is settling it) — leased to this process for `lease`.
    pub(crate) async fn claim_entry(
        &self,
        provider: &str,
        reference: &str,
        lease: Duration,
    ) -> Result<Option<(Claimed, InFlight)>, JournalError> {
        let key = (provider.to_owned(), reference.to_owned());
        if !self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.clone())
        {
            return Ok(None);
        }
        let guard = InFlight {
            set: Arc::clone(&self.in_flight),
            key,
        };
        let now = now_millis();
        let sql = format!(
            "UPDATE payments_journal SET lease_owner = $1, lease_until = {KEEP_LONGER_LEASE} \
             WHERE provider = $3 AND reference = $4 AND stage IN {SWEPT} \
             AND (lease_until IS NULL OR lease_until < $5 OR lease_owner = $1) \
             RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(&*self.owner)
            .bind(now.saturating_add(duration_millis(lease)))
            .bind(provider)
            .bind(reference)
            .bind(now)
            .fetch_optional(pool)
            .await?);
        Ok(row.map(|row| {
            let saved = self.open_saved(&row);
            let claimed = Claimed {
                reference: row.into_entry().reference,
                saved,
            };
            (claimed, guard)
        }))
    }

    /// Every attempt at order `order_id` of `provider`, first to latest
    /// (empty when the order was never journaled, or its first attempt is
    /// still being prepared: nothing was sent for it yet).
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`].
    pub async fn order_entries(
        &self,
        provider: &str,
        order_id: &str,
    ) -> Result<Vec<Entry>, JournalError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM payments_journal WHERE provider = $1 AND order_id = $2 \
             ORDER BY order_attempt"
        );
        let rows: Vec<Row> = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(provider)
            .bind(order_id)
            .fetch_all(pool)
            .await?);
        Ok(rows.into_iter().map(Row::into_entry).collect())
    }

    /// The entries of `provider` that `filter` selects, the least recently
    /// changed first. An entry that cannot be read is listed as
    /// [`Stage::Quarantined`] (and selected as such).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), payments_journal::JournalError> {
    /// use payments_journal::{EntryFilter, Journal, Stage};
    ///
    /// let journal = Journal::in_memory().await?;
    /// let open = journal
    ///     .list("jawali", &EntryFilter::new().stage(Stage::Unknown).limit(20))
    ///     .await?;
    /// assert!(open.is_empty());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`JournalError::Storage`].
    pub async fn list(
        &self,
        provider: &str,
        filter: &EntryFilter,
    ) -> Result<Vec<Entry>, JournalError> {
        let cutoff = filter.unchanged_for.map_or(i64::MAX, |age| {
            crate::store::millis(SystemTime::now()).saturating_sub(duration_millis(age))
        });
        let limit = filter
            .limit
            .map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
        // Stage names are this crate's constants, never the caller's text.
        let stages = if filter.stages.is_empty() {
            String::new()
        } else {
            let named = |stages: &mut dyn Iterator<Item = Stage>| {
                stages
                    .map(|stage| format!("'{}'", stage.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut clause = format!(
                " AND (stage IN ({})",
                named(&mut filter.stages.iter().copied())
            );
            if filter.stages.contains(&Stage::Quarantined) {
                // Rows this version cannot read are listed as quarantined.
                clause.push_str(&format!(
                    " OR stage NOT IN ({})",
                    named(&mut Stage::ALL.iter().copied())
                ));
            }
            clause.push(')');
            clause
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM payments_journal WHERE provider = $1 AND updated_at <= $2{stages} \
             ORDER BY updated_at, id LIMIT $3"
        );
        let rows: Vec<Row> = on_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(provider)
            .bind(cutoff)
            .bind(limit)
            .fetch_all(pool)
            .await?);
        // A row whose outcome does not parse reads as quarantined: it is
        // listed only when that stage is asked for.
        Ok(rows
            .into_iter()
            .map(Row::into_entry)
            .filter(|entry| filter.stages.is_empty() || filter.stages.contains(&entry.stage))
            .collect())
    }
}

/// The first field whose digest differs from what the order was first
/// written with (or that one of the two lacks).
fn differing_term(terms: &TermDigests, recorded: &str) -> Option<String> {
    let Ok(recorded) = serde_json::from_str::<TermDigests>(recorded) else {
        return Some("order".to_owned());
    };
    for (field, digest) in terms {
        match recorded.iter().find(|(f, _)| f == field) {
            Some((_, held)) if held == digest => {}
            _ => return Some(field.clone()),
        }
    }
    recorded
        .iter()
        .find(|(field, _)| !terms.iter().any(|(f, _)| f == field))
        .map(|(field, _)| field.clone())
}
