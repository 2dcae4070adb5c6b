//! Talking to the cluster's relay: fetching and publishing the signed roster, and logging in
//! for a bearer token. The relay is untrusted: a roster it serves is accepted only through
//! [`Membership::import_chain`], under the same rules as a file.

use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use sealpost_format::MemberId;
use sealpost_format::enrol::{JoinRequest, MAX_REQUEST_BYTES};
use sealpost_format::relay::{
    Challenge, ErrorBody, LoginRequest, LoginResponse, Mailbox, MailboxItem,
};
use sealpost_format::roster::{SignedRoster, VerifiedRoster};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::coordinator::{CoordinatorError, Desk, PendingRequest, Request};

use crate::identity::Identity;
use crate::keystore::Home;
use crate::membership::{Imported, Membership, MembershipError};
use crate::passphrase::Passphrase;

mod upload;

/// Why talking to the relay failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// No relay configured.
    #[error(
        "no relay is configured: the coordinator sets one with `sealpost relay use URL`; \
         members get it from their invite code"
    )]
    NoRelay,
    /// The relay could not be reached.
    #[error(
        "cannot reach the relay at {url} ({reason}); check the address and your connection, \
         then try again — nothing was changed"
    )]
    Unreachable {
        /// The relay.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The relay refused, with its own code and message.
    #[error("the relay refused ({code}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The relay's code.
        code: String,
        /// The relay's message.
        message: String,
    },
    /// The relay answered something that is not its protocol.
    #[error(
        "the relay at {url} answered something unexpected ({reason}); is this the right address?"
    )]
    Protocol {
        /// The relay.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A roster from the relay was refused by the roster rules.
    #[error(transparent)]
    Membership(#[from] MembershipError),
    /// A request fetched from the relay could not be kept on the coordinator's desk.
    #[error(transparent)]
    Desk(#[from] CoordinatorError),
    /// Storing what came from the relay failed on this computer.
    #[error("{context}: {source}")]
    Local {
        /// What was being done.
        context: String,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl RelayError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RelayError::NoRelay => "no-relay",
            RelayError::Unreachable { .. } => "relay-unreachable",
            RelayError::Refused { .. } => "relay-refused",
            RelayError::Protocol { .. } => "relay-protocol",
            RelayError::Membership(e) => e.code(),
            RelayError::Desk(e) => e.code(),
            RelayError::Local { .. } => "local-io",
        }
    }
}

/// The largest answer read from the relay: a roster envelope at its largest (4 MiB of roster,
/// base64-encoded) fits with room to spare.
const MAX_ANSWER: u64 = 8 << 20;

/// How long an upload may make no progress (the connection taking no more of the body, or,
/// once it took all, no answer) before its connection is given up and the upload resumed on a
/// new one. Two minutes, because the signal lags: the socket takes more only once the relay
/// acknowledged about half of what it holds (megabytes on a fast link), and after a field link
/// was down for a few seconds TCP may need half a minute to get going again (32 s seen in
/// tests/faults.rs); one minute gave up a connection that was recovering. A connection given
/// up costs what it had in flight and a slow new start.
pub const TRANSFER_STALL_LIMIT: Duration = Duration::from_secs(120);

/// A join request waiting on the relay, as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WaitingRequest {
    /// The relay's id for it.
    pub id: String,
    /// The invite it claims to answer (unchecked until fetched and verified).
    pub invite_id: String,
    /// Its size in bytes.
    pub size: u64,
    /// When the relay received it.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

#[derive(Debug, Deserialize)]
struct WaitingList {
    items: Vec<WaitingRequest>,
}

/// What [`RelayClient::collect_join_requests`] did.
#[derive(Debug, Default)]
pub struct Collected {
    /// Requests now pending on the coordinator's desk (checked: each says whether it can be
    /// approved).
    pub received: Vec<PendingRequest>,
    /// Requests the relay held that are not join requests at all, discarded (with why).
    pub discarded: Vec<String>,
}

/// Where a roster the coordinator just signed went: to the cluster's relay, when it has one.
#[derive(Debug)]
pub enum Shared {
    /// No relay configured: the coordinator hands the roster out as a file.
    NoRelay,
    /// The relay holds it now.
    Published {
        /// The relay.
        url: String,
    },
    /// The relay could not take it (offline, or it refused). The roster is signed and kept
    /// here; publishing it again later is enough.
    Failed {
        /// The relay.
        url: String,
        /// What went wrong.
        error: RelayError,
    },
}

impl Shared {
    /// Publishes `roster` to the relay, if the cluster uses one. A failure is reported, not
    /// fatal: the roster is signed and held already.
    pub fn of(home: &Home, roster: &VerifiedRoster) -> Self {
        let membership = Membership::new(home);
        let Ok(relay) = RelayClient::configured(&membership) else {
            return Shared::NoRelay;
        };
        let url = relay.url().to_owned();
        match relay.publish_held(&membership, roster) {
            Ok(_) => Shared::Published { url },
            Err(error) => Shared::Failed { url, error },
        }
    }
}

/// What a pass over the relay's waiting join requests brought.
#[derive(Debug)]
pub enum Fetched {
    /// The cluster has no relay.
    NoRelay,
    /// Fetched onto the desk (and deleted from the relay).
    Collected {
        /// The relay.
        url: String,
        /// What came.
        collected: Collected,
    },
    /// The relay could not be reached or refused: the requests already on the desk still
    /// count.
    Failed {
        /// The relay.
        url: String,
        /// What went wrong.
        error: RelayError,
    },
}

impl Fetched {
    /// Fetches the join requests waiting on the cluster's relay, if it has one, onto `desk`.
    pub fn from_relay(home: &Home, desk: &Desk<'_>, me: &Identity, now: OffsetDateTime) -> Self {
        let Ok(client) = RelayClient::configured(&Membership::new(home)) else {
            return Fetched::NoRelay;
        };
        let url = client.url().to_owned();
        match client.collect_join_requests(desk, me, now) {
            Ok(collected) => Fetched::Collected { url, collected },
            Err(error) => Fetched::Failed { url, error },
        }
    }
}

/// A connection to one relay.
#[derive(Debug, Clone)]
pub struct RelayClient {
    base: String,
    /// Short requests: each must finish within a minute.
    http: Client,
    /// Downloads, which may take hours on a field office's link: no overall deadline, but a
    /// dead connection is noticed by TCP within about half a minute. (Uploads run on a
    /// connection of their own, watched for progress: [`Self::patch_upload`].)
    transfer: Client,
}

/// What publishing a roster did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The relay now holds this version.
    Accepted(u64),
    /// The relay already held it.
    AlreadyHeld(u64),
}

impl RelayClient {
    /// A client for the relay at `url` (`https://host[:port]`).
    pub fn new(url: &str) -> Self {
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client with default TLS settings builds");
        let transfer = Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(None)
            // A receiving side that goes silent (a cut link, a laptop lid closed) is found by
            // keep-alive probes; a request that stays unacknowledged, by TCP_USER_TIMEOUT.
            // Either way the transfer fails and is resumed, never stuck.
            .tcp_keepalive(Duration::from_secs(10))
            .tcp_keepalive_interval(Duration::from_secs(5))
            .tcp_keepalive_retries(4);
        #[cfg(target_os = "linux")]
        let transfer = transfer.tcp_user_timeout(Duration::from_secs(30));
        let transfer = transfer
            .build()
            .expect("an HTTP client with default TLS settings builds");
        Self {
            base: url.trim_end_matches('/').to_owned(),
            http,
            transfer,
        }
    }

    /// The relay configured for this member (from the invite, or `sealpost relay use`).
    pub fn configured(membership: &Membership) -> Result<Self, RelayError> {
        let url = membership
            .pin()?
            .and_then(|pin| pin.relay)
            .ok_or(RelayError::NoRelay)?;
        Ok(Self::new(&url))
    }

    /// The relay's address.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, e: reqwest::Error) -> RelayError {
        // reqwest's own words are often only "error sending request" or "request or response
        // body error": the cause that says what happened (a reset, a timeout, a refused
        // connection) is further down the chain.
        let e = e.without_url();
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !reason.contains(&cause_text) {
                reason.push_str(": ");
                reason.push_str(&cause_text);
            }
            source = cause.source();
        }
        RelayError::Unreachable {
            url: self.base.clone(),
            reason,
        }
    }

    fn protocol(&self, reason: impl Into<String>) -> RelayError {
        RelayError::Protocol {
            url: self.base.clone(),
            reason: reason.into(),
        }
    }

    /// The body of a successful answer, or the relay's refusal. The relay is untrusted: no
    /// answer is read past [`MAX_ANSWER`] bytes.
    fn success(&self, response: Response) -> Result<Vec<u8>, RelayError> {
        let status = response.status();
        let mut body = Vec::new();
        response
            .take(MAX_ANSWER + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.protocol(format!("its answer broke off: {e}")))?;
        self.answer(status, body)
    }

    /// [`Self::success`] once the answer's body (at most [`MAX_ANSWER`] + 1 bytes) is read.
    fn answer(&self, status: StatusCode, body: Vec<u8>) -> Result<Vec<u8>, RelayError> {
        if body.len() as u64 > MAX_ANSWER {
            return Err(self.protocol(format!("its answer is larger than {MAX_ANSWER} bytes")));
        }
        if status.is_success() {
            return Ok(body);
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(refusal) => Err(RelayError::Refused {
                status: status.as_u16(),
                code: refusal.error.code,
                message: refusal.error.message,
            }),
            Err(_) => Err(self.protocol(format!("HTTP {status} without an error body"))),
        }
    }

    /// Sends `request` and returns the body of a successful answer, or the relay's refusal.
    fn call(&self, request: RequestBuilder) -> Result<Vec<u8>, RelayError> {
        let response = request.send().map_err(|e| self.unreachable(e))?;
        self.success(response)
    }

    /// Parses an answer's JSON; anything else means this is not a relay speaking.
    fn json<T: serde::de::DeserializeOwned>(&self, body: &[u8]) -> Result<T, RelayError> {
        serde_json::from_slice(body).map_err(|e| self.protocol(e.to_string()))
    }

    /// The newest roster the relay holds (unverified), or `None`.
    pub fn roster(&self, version: Option<u64>) -> Result<Option<SignedRoster>, RelayError> {
        let url = match version {
            Some(v) => format!("{}/v1/roster/{v}", self.base),
            None => format!("{}/v1/roster", self.base),
        };
        let response = self.http.get(url).send().map_err(|e| self.unreachable(e))?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let body = self.success(response)?;
        SignedRoster::from_json(&body)
            .map(Some)
            .map_err(|e| self.protocol(e.to_string()))
    }

    /// Uploads a signed roster; the relay checks it under the roster rules.
    pub fn publish(&self, roster: &SignedRoster) -> Result<Published, RelayError> {
        let body = self.call(
            self.http
                .put(format!("{}/v1/roster", self.base))
                .header("Content-Type", "application/json")
                .body(roster.to_json()),
        )?;
        let answer: serde_json::Value = self.json(&body)?;
        let version = answer["version"]
            .as_u64()
            .ok_or_else(|| self.protocol("no version in the answer"))?;
        Ok(if answer["unchanged"] == true {
            Published::AlreadyHeld(version)
        } else {
            Published::Accepted(version)
        })
    }

    /// Brings the relay up to `held` (the roster this coordinator holds): every version the
    /// relay lacks is sent in order, since the relay, like every client, accepts only the
    /// version after its own. Several changes made while the relay was out of reach are
    /// published together this way.
    pub fn publish_held(
        &self,
        membership: &Membership,
        held: &VerifiedRoster,
    ) -> Result<Published, RelayError> {
        let target = held.roster().version;
        let relay_version = self
            .roster(None)?
            .and_then(|r| r.claim())
            .map(|c| c.version);
        let first = relay_version.map_or(target, |v| v.saturating_add(1));
        for version in first..target {
            // A version this laptop never held (a coordinator handed over to mid-chain) is
            // skipped: the relay's refusal of the newest then says what is missing.
            if let Ok(signed) = membership.version(version) {
                self.publish(&signed)?;
            }
        }
        self.publish(held.signed())
    }

    /// Fetches every roster version after the one held and imports them as one chain. Returns
    /// what was imported (empty when up to date).
    pub fn pull(
        &self,
        membership: &Membership,
        me: &Identity,
        passphrase: Option<&Passphrase>,
    ) -> Result<Vec<Imported>, RelayError> {
        let newest = self
            .roster(None)?
            .ok_or_else(|| self.protocol("the relay holds no roster yet"))?;
        let newest_version = newest
            .claim()
            .ok_or_else(|| self.protocol("its roster is unreadable"))?
            .version;
        let held = membership.held()?.map(|h| h.roster().version);
        if held == Some(newest_version) || held.is_some_and(|h| h > newest_version) {
            // Checked anyway: a relay serving an older or different roster is reported.
            return match membership.import(newest, me, passphrase, OffsetDateTime::now_utc()) {
                Ok(imported) => Ok(vec![imported]),
                Err(MembershipError::Roster(sealpost_format::roster::RosterError::Unchanged {
                    ..
                })) => Ok(Vec::new()),
                Err(e) => Err(e.into()),
            };
        }
        // The versions missing since the one held (all of them on a first pull, so that a
        // coordinator handover in between can be followed), oldest first.
        let first = held.map_or(1, |h| h + 1);
        let mut chain = Vec::new();
        for version in first..newest_version {
            if let Some(roster) = self.roster(Some(version))? {
                chain.push(roster);
            }
        }
        chain.push(newest);
        Ok(membership.import_chain(chain, me, passphrase, OffsetDateTime::now_utc())?)
    }

    /// Logs in with the member's signing key and returns a bearer token.
    pub fn login(&self, me: &Identity) -> Result<LoginResponse, RelayError> {
        let challenge: Challenge =
            self.json(&self.call(self.http.get(format!("{}/v1/login/challenge", self.base)))?)?;
        let answer = LoginRequest::sign(me.member_id(), challenge.nonce, me.signing_key());
        let login = self
            .http
            .post(format!("{}/v1/login", self.base))
            .json(&answer);
        let body = self.call(login).map_err(|e| match e {
            // The relay says no more than "unauthorized", on purpose; the member's app can
            // say what that usually means.
            RelayError::Refused { status, code, .. } if code == "unauthorized" => {
                RelayError::Refused {
                    status,
                    code,
                    message: "the relay did not accept your keys: they are not in its current \
                              roster. You may have been removed, or changed keys before the \
                              coordinator published the new roster; run `sealpost roster \
                              pull` and ask the coordinator"
                        .into(),
                }
            }
            other => other,
        })?;
        self.json(&body)
    }

    /// Posts a join request for the coordinator (no login: the member is not in the roster
    /// yet). Returns the relay's id for it; posting the same request again is harmless.
    pub fn submit_join_request(&self, request: &JoinRequest) -> Result<String, RelayError> {
        let body = self.call(
            self.http
                .post(format!("{}/v1/join-requests", self.base))
                .header("Content-Type", "application/json")
                .body(request.to_json()),
        )?;
        let answer: serde_json::Value = self.json(&body)?;
        answer["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.protocol("no id in the answer"))
    }

    /// The join requests waiting on the relay (the coordinator's token only).
    pub fn join_requests(&self, token: &str) -> Result<Vec<WaitingRequest>, RelayError> {
        let list: WaitingList = self.json(
            &self.call(
                self.http
                    .get(format!("{}/v1/join-requests", self.base))
                    .bearer_auth(token),
            )?,
        )?;
        Ok(list.items)
    }

    /// One waiting join request, as its member posted it.
    pub fn fetch_join_request(&self, token: &str, id: &str) -> Result<Vec<u8>, RelayError> {
        let body = self.call(
            self.http
                .get(format!("{}/v1/join-requests/{id}", self.base))
                .bearer_auth(token),
        )?;
        if body.len() > MAX_REQUEST_BYTES {
            return Err(self.protocol(format!(
                "join request {id} is {} bytes, larger than any request",
                body.len()
            )));
        }
        Ok(body)
    }

    /// Deletes a waiting join request (the coordinator has it now).
    pub fn delete_join_request(&self, token: &str, id: &str) -> Result<(), RelayError> {
        self.call(
            self.http
                .delete(format!("{}/v1/join-requests/{id}", self.base))
                .bearer_auth(token),
        )
        .map(drop)
    }

    /// The coordinator's pass over the relay: fetches every waiting join request onto the desk
    /// (where it is checked against the invites issued, as a request file would be), and
    /// deletes it from the relay once it is safely on disk. Something that is not a join
    /// request at all is deleted and reported rather than kept.
    pub fn collect_join_requests(
        &self,
        desk: &Desk,
        me: &Identity,
        now: OffsetDateTime,
    ) -> Result<Collected, RelayError> {
        let token = self.login(me)?.token;
        let mut collected = Collected::default();
        for waiting in self.join_requests(&token)? {
            let bytes = self.fetch_join_request(&token, &waiting.id)?;
            match Request::from_json(&bytes) {
                // Kept on the desk first; only then is the relay's copy deleted, so a failure
                // in between leaves it on the relay for the next pass.
                Ok(_) => collected.received.push(desk.receive(&bytes, now)?),
                Err(e) => collected
                    .discarded
                    .push(format!("request {} on the relay: {e}", waiting.id)),
            }
            self.delete_join_request(&token, &waiting.id)?;
        }
        Ok(collected)
    }
}

/// Parcels in transit: tus uploads, the mailbox, ranged downloads. Each call is one HTTP
/// request; resuming and retrying are the sync engine's business (`crate::mailroom`).
impl RelayClient {
    fn bearer(&self, request: RequestBuilder, token: &str) -> RequestBuilder {
        request.header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
    }

    fn upload_url(&self, id: &str) -> String {
        format!("{}/v1/uploads/{id}", self.base)
    }

    /// Creates an upload of `length` bytes addressed to `to` (tus creation); returns its id.
    /// The metadata names only member ids, never anything about the content.
    pub fn create_upload(
        &self,
        token: &str,
        length: u64,
        to: &[MemberId],
    ) -> Result<String, RelayError> {
        let ids = to
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let request = self
            .bearer(self.http.post(format!("{}/v1/uploads", self.base)), token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length)
            .header(
                "Upload-Metadata",
                format!("to {}", data_encoding::BASE64.encode(ids.as_bytes())),
            );
        let response = request.send().map_err(|e| self.unreachable(e))?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.success(response)?;
        let location = location.ok_or_else(|| self.protocol("no Location for the new upload"))?;
        let id = location.rsplit('/').next().unwrap_or_default();
        if !is_blob_id(id) {
            return Err(self.protocol(format!("an upload id that is not one: {location:?}")));
        }
        Ok(id.to_owned())
    }

    /// The relay's offset of upload `id` (tus HEAD), or `None` when the relay no longer knows
    /// it (expired, or deleted).
    pub fn upload_offset(&self, token: &str, id: &str) -> Result<Option<u64>, RelayError> {
        let request = self
            .bearer(self.http.head(self.upload_url(id)), token)
            .header("Tus-Resumable", "1.0.0");
        let response = request.send().map_err(|e| self.unreachable(e))?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let offset = offset_header(response.headers());
        self.success(response)?;
        offset
            .map(Some)
            .ok_or_else(|| self.protocol("no Upload-Offset in its answer"))
    }

    /// Appends `len` bytes read from `body` at `offset` (tus PATCH); returns the new offset.
    /// If the connection breaks, the relay keeps what arrived: ask [`Self::upload_offset`].
    /// A connection that makes no progress for [`TRANSFER_STALL_LIMIT`] is given up.
    pub fn patch_upload(
        &self,
        token: &str,
        id: &str,
        offset: u64,
        body: impl Read + Send + 'static,
        len: u64,
    ) -> Result<u64, RelayError> {
        let patch = upload::Patch {
            url: self.upload_url(id),
            token: token.to_owned(),
            offset,
            body: Box::new(body),
            len,
        };
        let answer = match patch.send(TRANSFER_STALL_LIMIT, MAX_ANSWER) {
            Ok(answer) => answer,
            Err(upload::Failure::Http(e)) => return Err(self.unreachable(e)),
            Err(upload::Failure::Stalled(quiet)) => {
                return Err(RelayError::Unreachable {
                    url: self.base.clone(),
                    reason: format!(
                        "the upload made no progress for {} s, so its connection was given up",
                        quiet.as_secs()
                    ),
                });
            }
            Err(upload::Failure::Local(e)) => {
                return Err(RelayError::Local {
                    context: "cannot start the upload".into(),
                    source: e,
                });
            }
        };
        self.answer(answer.status, answer.body)?;
        answer
            .offset
            .ok_or_else(|| self.protocol("no Upload-Offset in its answer"))
    }

    /// Deletes blob (or upload) `id` everywhere (uploader only). `false` when the relay did not
    /// have it any more.
    pub fn delete_blob(&self, token: &str, id: &str) -> Result<bool, RelayError> {
        let request = self.bearer(
            self.http.delete(format!("{}/v1/blobs/{id}", self.base)),
            token,
        );
        match self.call(request) {
            Ok(_) => Ok(true),
            Err(RelayError::Refused { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The parcels waiting for this member, oldest first.
    pub fn mailbox(&self, token: &str) -> Result<Vec<MailboxItem>, RelayError> {
        let request = self.bearer(self.http.get(format!("{}/v1/mailbox", self.base)), token);
        let mailbox: Mailbox = self.json(&self.call(request)?)?;
        if let Some(bad) = mailbox.items.iter().find(|i| !is_blob_id(&i.id)) {
            return Err(self.protocol(format!("a mailbox item id that is not one: {:?}", bad.id)));
        }
        Ok(mailbox.items)
    }

    /// Writes blob `id` from byte `from` on to `out` (`Range: bytes=from-`), at most `size -
    /// from` bytes (the relay is not believed about sizes). Returns how many bytes were written:
    /// on a broken connection, those bytes are still good to keep and resume after.
    pub fn download(
        &self,
        token: &str,
        id: &str,
        from: u64,
        size: u64,
        out: &mut dyn std::io::Write,
    ) -> Result<u64, (u64, RelayError)> {
        let mut request = self.bearer(
            self.transfer.get(format!("{}/v1/blobs/{id}", self.base)),
            token,
        );
        if from > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={from}-"));
        }
        let response = request.send().map_err(|e| (0, self.unreachable(e)))?;
        let status = response.status();
        let expected = if from > 0 {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        };
        if status != expected {
            let refusal = self.success(response).err().unwrap_or_else(|| {
                self.protocol(format!("HTTP {status} to a download from byte {from}"))
            });
            return Err((0, refusal));
        }
        let mut body = response.take(size.saturating_sub(from));
        let mut written = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err((
                        written,
                        RelayError::Unreachable {
                            url: self.base.clone(),
                            reason: format!("the download broke off: {e}"),
                        },
                    ));
                }
            };
            out.write_all(&buf[..n]).map_err(|e| {
                (
                    written,
                    RelayError::Local {
                        context: "cannot store the download".into(),
                        source: e,
                    },
                )
            })?;
            written += n as u64;
        }
        Ok(written)
    }

    /// Removes blob `id` from this member's mailbox.
    pub fn ack(&self, token: &str, id: &str) -> Result<(), RelayError> {
        let request = self.bearer(
            self.http.post(format!("{}/v1/mailbox/{id}/ack", self.base)),
            token,
        );
        match self.call(request) {
            Ok(_) | Err(RelayError::Refused { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The `Upload-Offset` of an answer, if it is a number.
fn offset_header(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get("Upload-Offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// The relay's blob and upload ids: 32 lowercase hex digits. Checked before an id from the
/// relay is used in a path or a file name.
pub fn is_blob_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
