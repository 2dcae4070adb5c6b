//! Partners' rights requests — access, correction, deletion — as both sides see them: who
//! asked, what about, when, each handler's status, and whether the answer is overdue.
//!
//! A request is the parcel that makes it: an `access-request`, a `deletion-request`, or a
//! correction (a `data` parcel that `supersedes` another). Each side records it in
//! `rights_requests` when the parcel is sealed or arrives. The answers travel as signed
//! receipts about the request (`delivered`, then the handler's `request-update`s; for a
//! deletion, the `deleted` receipt its app sends on its own), so the requester's view is
//! built from what the handlers signed, and the handler's from what it sent and what its app
//! did.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use time::OffsetDateTime;

use super::{MailroomError, Person, person_columns, time_text};
use crate::parcel::{Manifest, ParcelKind};

/// The statuses a handler can give a rights request, in the order a request moves through
/// them. `done` and `declined` close it.
pub const REQUEST_STATUSES: [&str; 4] = ["acknowledged", "in-progress", "done", "declined"];

/// Every status a handler's answer can be in, least advanced first: before the request
/// arrived (`requested`), when it arrived (`received`), then [`REQUEST_STATUSES`].
const PROGRESS: [&str; 6] = [
    "requested",
    "received",
    "acknowledged",
    "in-progress",
    "done",
    "declined",
];

/// A rights request this member made, or received to handle.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RightsRequest {
    /// The parcel that made the request.
    pub request_id: String,
    /// `access`, `correction` or `deletion`.
    pub right: String,
    /// `made` (by this member) or `received` (to handle).
    pub direction: String,
    /// The parcel it is about; none for an access request about everything sent.
    pub about: Option<String>,
    /// Who asked.
    pub requester: Person,
    /// What the requester wrote.
    pub note: Option<String>,
    /// When it was made (sealed).
    pub requested_at: String,
    /// When an answer is due, from the cluster policy's `rights_response_days`.
    pub due_at: String,
    /// `open` until every handler has answered `done` or `declined`.
    pub open: bool,
    /// Open past its due date.
    pub overdue: bool,
    /// The least advanced handler's status (see [`REQUEST_STATUSES`]; before that
    /// `requested`, then `received`).
    pub status: String,
    /// Each handler (for a received request: this member) with their answers.
    pub handlers: Vec<RequestHandler>,
}

/// One handler of a rights request and what they answered.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestHandler {
    /// Who handles it.
    pub person: Person,
    /// Their status now.
    pub status: String,
    /// Their answers, oldest first.
    pub events: Vec<RequestEvent>,
}

/// One step of a rights request.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestEvent {
    /// The status it moved the request to.
    pub status: String,
    /// When.
    pub at: String,
    /// What was said: the handler's note, or what the app did on its own.
    pub note: Option<String>,
}

/// Which right a parcel exercises, if it is a rights request.
pub(crate) fn right_of(m: &Manifest) -> Option<(&'static str, Option<String>)> {
    match m.kind {
        ParcelKind::AccessRequest => Some(("access", m.about.map(|p| p.to_string()))),
        ParcelKind::DeletionRequest => Some(("deletion", m.about.map(|p| p.to_string()))),
        ParcelKind::Data | ParcelKind::Correction => {
            m.supersedes.map(|p| ("correction", Some(p.to_string())))
        }
        _ => None,
    }
}

/// Records a rights request sealed here (`out`) or arrived here (`in`); other parcels are
/// left alone. Runs inside the caller's transaction.
pub(crate) fn record(conn: &Connection, direction: &str, m: &Manifest) -> rusqlite::Result<()> {
    let Some((right, about)) = right_of(m) else {
        return Ok(());
    };
    conn.execute(
        "INSERT OR IGNORE INTO rights_requests (request_id, direction, kind, about, \
         requester_id, requester_name, requester_org, requested_at, received_at, note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            m.parcel_id.to_string(),
            direction,
            right,
            about,
            m.sender.member_id.to_string(),
            m.sender.name,
            m.sender.org,
            time_text(m.created_at),
            super::now_text(),
            m.note,
        ],
    )?;
    Ok(())
}

/// What the handler's app did on its own about a received request (a deletion: `done`, or
/// `in-progress` when copies outside Sealpost's folder are left for the user).
pub(crate) fn handled(
    conn: &Connection,
    request_id: &str,
    status: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE rights_requests SET handled_status = ?2, handled_at = ?3, handled_detail = ?4 \
         WHERE request_id = ?1 AND direction = 'in'",
        params![request_id, status, super::now_text(), detail],
    )?;
    Ok(())
}

/// The requester of a received request, or `None` when no such request arrived here.
pub(crate) fn received_from(
    conn: &Connection,
    request_id: &str,
) -> rusqlite::Result<Option<Person>> {
    conn.query_row(
        "SELECT requester_id, requester_name, requester_org FROM rights_requests \
         WHERE request_id = ?1 AND direction = 'in'",
        [request_id],
        |row| person_columns(row, 0),
    )
    .optional()
}

/// Every rights request made or received here, newest first, as of `now`, with
/// `response_days` to answer each.
pub(crate) fn list(
    conn: &Connection,
    me: &Person,
    response_days: u32,
    now: OffsetDateTime,
) -> Result<Vec<RightsRequest>, MailroomError> {
    let mut statement = conn.prepare(
        "SELECT request_id, kind, direction, about, requester_id, requester_name, \
         requester_org, note, requested_at, handled_status, handled_at, handled_detail \
         FROM rights_requests ORDER BY requested_at DESC, rowid DESC",
    )?;
    struct Row {
        request: RightsRequest,
        handled: Option<RequestEvent>,
    }
    let rows = statement
        .query_map([], |row| {
            let direction: String = row.get(2)?;
            let handled_status: Option<String> = row.get(9)?;
            Ok(Row {
                request: RightsRequest {
                    request_id: row.get(0)?,
                    right: row.get(1)?,
                    direction: if direction == "out" {
                        "made".into()
                    } else {
                        "received".into()
                    },
                    about: row.get(3)?,
                    requester: person_columns(row, 4)?,
                    note: row.get(7)?,
                    requested_at: row.get(8)?,
                    due_at: String::new(),
                    open: true,
                    overdue: false,
                    status: String::new(),
                    handlers: Vec::new(),
                },
                handled: match handled_status {
                    Some(status) => Some(RequestEvent {
                        status,
                        at: row.get(10)?,
                        note: row.get(11)?,
                    }),
                    None => None,
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut requests = Vec::with_capacity(rows.len());
    for Row {
        mut request,
        handled,
    } in rows
    {
        request.handlers = if request.direction == "made" {
            made_handlers(conn, &request)?
        } else {
            vec![received_handler(conn, &request, me, handled)?]
        };
        let least = request
            .handlers
            .iter()
            .map(|h| rank(&h.status))
            .min()
            .unwrap_or(0);
        request.status = PROGRESS[least].into();
        request.open = request
            .handlers
            .iter()
            .any(|h| !matches!(h.status.as_str(), "done" | "declined"));
        let due = super::parse_time(&request.requested_at)
            .map(|t| t + time::Duration::days(i64::from(response_days)));
        request.due_at = due.map(time_text).unwrap_or_default();
        request.overdue = request.open && due.is_some_and(|due| now > due);
        requests.push(request);
    }
    Ok(requests)
}

fn rank(status: &str) -> usize {
    PROGRESS.iter().position(|s| *s == status).unwrap_or(0)
}

/// The handlers of a request this member made: the request parcel's recipients, each with
/// the receipts they signed about it (and, for a deletion, the `deleted` receipt about the
/// parcel to delete).
fn made_handlers(
    conn: &Connection,
    request: &RightsRequest,
) -> Result<Vec<RequestHandler>, MailroomError> {
    let mut people = conn.prepare(
        "SELECT r.member_id, r.name, r.org FROM recipients r JOIN parcels p USING (parcel_id) \
         WHERE r.parcel_id = ?1 AND r.member_id <> p.sender_id ORDER BY r.name",
    )?;
    let handlers: Vec<Person> = people
        .query_map([&request.request_id], |row| person_columns(row, 0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut receipts = conn.prepare(
        "SELECT event, at, detail FROM receipts \
         WHERE from_member = ?2 AND (about = ?1 OR (?3 = 'deletion' AND about = ?4 \
         AND event = 'deleted')) ORDER BY at, rowid",
    )?;
    let mut out = Vec::with_capacity(handlers.len());
    for person in handlers {
        let events: Vec<(bool, RequestEvent)> = receipts
            .query_map(
                params![
                    request.request_id,
                    person.member_id,
                    request.right,
                    request.about
                ],
                |row| {
                    let event: String = row.get(0)?;
                    let explicit = REQUEST_STATUSES.contains(&event.as_str());
                    Ok((
                        explicit,
                        RequestEvent {
                            status: match event.as_str() {
                                "delivered" => "received".into(),
                                // The app deletes on arrival and says in the receipt what it
                                // could not reach.
                                "deleted" => "done".into(),
                                _ => event,
                            },
                            at: row.get(1)?,
                            note: row.get(2)?,
                        },
                    ))
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|(_, e)| rank(&e.status) > 0)
            .collect::<Vec<_>>();
        // What the handler said in a request update outranks what its app did on its own: a
        // deletion its app could not finish is "in progress" although the `deleted` receipt
        // came.
        let said = events.iter().rev().find(|(explicit, _)| *explicit);
        let status = said
            .or(events.last())
            .map_or_else(|| "requested".to_owned(), |(_, e)| e.status.clone());
        out.push(RequestHandler {
            status,
            person,
            events: events.into_iter().map(|(_, e)| e).collect(),
        });
    }
    Ok(out)
}

/// This member as the handler of a request it received: when it arrived, what its app did
/// on its own, and the updates it sent.
fn received_handler(
    conn: &Connection,
    request: &RightsRequest,
    me: &Person,
    handled: Option<RequestEvent>,
) -> Result<RequestHandler, MailroomError> {
    let arrived: String = conn.query_row(
        "SELECT received_at FROM rights_requests WHERE request_id = ?1",
        [&request.request_id],
        |row| row.get(0),
    )?;
    let mut events = vec![RequestEvent {
        status: "received".into(),
        at: arrived,
        note: None,
    }];
    events.extend(handled);
    let mut sent = conn.prepare(
        "SELECT manifest, created_at, note FROM parcels \
         WHERE direction = 'out' AND kind = 'request-update' AND about = ?1 \
         ORDER BY created_at, rowid",
    )?;
    let updates = sent.query_map([&request.request_id], |row| {
        Ok(RequestEvent {
            status: super::event_column(row, 0)?,
            at: row.get(1)?,
            note: row.get(2)?,
        })
    })?;
    for update in updates {
        events.push(update?);
    }
    events.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(RequestHandler {
        person: me.clone(),
        status: events
            .last()
            .map_or_else(|| "received".to_owned(), |e| e.status.clone()),
        events,
    })
}
