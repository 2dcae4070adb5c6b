//! `seal`, `open` and `inspect`.

use std::path::PathBuf;

use clap::Args;
use sealpost_core::Passphrase;
use sealpost_core::membership::{Membership, MembershipError, check_sender, resolve_addressees};
use sealpost_core::parcel::{
    self, Addressees, Compression, Destination, FileSource, Key, Manifest, OpenOptions,
    SealRequest, SenderStatus,
};
use sealpost_format::{Fingerprint, Label, SigningPublicKey};
use serde::Serialize;

use crate::Global;
use crate::commands::identity::unlock;
use crate::failure::Failure;
use crate::output::{Bar, print_json, size};

#[derive(Debug, Args)]
pub(crate) struct SealArgs {
    /// The files to seal
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Recipients: member names or ids from your roster, `role:imo` (every IMO), or age
    /// public keys (age1…); you are always added
    #[arg(
        long = "to",
        value_name = "RECIPIENT",
        num_args = 1..,
        required_unless_present = "password_file",
        conflicts_with = "password_file"
    )]
    to: Vec<String>,
    /// Confidentiality label: public, restricted, confidential or highly-confidential
    #[arg(long)]
    label: Label,
    /// A note for the recipients (sealed with the files)
    #[arg(long)]
    note: Option<String>,
    /// Do not compress (for files that are already compressed, or for speed)
    #[arg(long)]
    no_compress: bool,
    /// Protect the parcel with the password in FILE instead of recipients' keys (for sharing by
    /// email or USB; nobody else's key opens it, not even yours)
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Where to write the parcel (never overwritten)
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    #[command(flatten)]
    override_reason: crate::commands::scan::OverrideArg,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct OpenArgs {
    /// A received parcel's id (from `sealpost inbox`), or a parcel file
    #[arg(value_name = "PARCEL_ID|FILE", required_unless_present = "all")]
    parcel: Option<PathBuf>,
    /// Open every received parcel not opened yet, each into its own folder (DIR/PARCEL_ID);
    /// one parcel failing never stops the others, and a report lists each
    #[arg(long, conflicts_with_all = ["parcel", "check"])]
    all: bool,
    /// With --all: only parcels received on or after this day (YYYY-MM-DD, UTC) or time
    /// (RFC 3339)
    #[arg(long, value_name = "DATE", requires = "all")]
    since: Option<String>,
    /// With --all: also write the per-parcel report to FILE (.csv or .json; never replaces a
    /// file)
    #[arg(long, value_name = "FILE", requires = "all")]
    report: Option<PathBuf>,
    /// The folder to write the files into (created if needed; files are never overwritten).
    /// For a received parcel the default is Sealpost's own folder, which deletion requests
    /// can reach
    #[arg(short, long, value_name = "DIR", conflicts_with = "check")]
    output: Option<PathBuf>,
    /// Do not ask before writing a highly-confidential parcel's files
    #[arg(long)]
    yes: bool,
    /// Verify the whole parcel but write nothing
    #[arg(long)]
    check: bool,
    #[command(flatten)]
    reader: ReaderArgs,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

/// How `open` and `inspect` read a parcel: with which key, expecting which sender.
#[derive(Debug, Args)]
struct ReaderArgs {
    /// Refuse the parcel unless it was signed by this key (ed25519:…)
    #[arg(long, value_name = "SIGNING_KEY")]
    expect_sender: Option<SigningPublicKey>,
    /// Read a password-protected parcel with the password in FILE (no identity needed)
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Open even when the roster says the sender was removed or signs with a key that is not
    /// theirs (only after checking with the sender by phone)
    #[arg(long)]
    allow_untrusted_sender: bool,
}

impl ReaderArgs {
    /// The checks to open with: the expected key, and the roster held (even an expired one is
    /// the best knowledge of who is who).
    fn options(&self, global: &Global) -> Result<(OpenOptions, Option<u64>), Failure> {
        let home = global.home()?;
        let roster = match Membership::new(&home).held() {
            Ok(held) => held.map(|h| h.roster().clone()),
            // Without an identity (a password parcel) there may be no data directory at all.
            Err(_) if self.password_file.is_some() => None,
            Err(e) => return Err(e.into()),
        };
        let version = roster.as_ref().map(|r| r.version);
        Ok((
            OpenOptions {
                expected_sender: self.expect_sender,
                roster,
                allow_untrusted_sender: self.allow_untrusted_sender,
            },
            version,
        ))
    }
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The parcel file
    parcel: PathBuf,
    #[command(flatten)]
    reader: ReaderArgs,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Serialize)]
struct SealReport<'a> {
    parcel_id: String,
    output: String,
    size: u64,
    #[serde(flatten)]
    summary: ManifestSummary<'a>,
}

/// The parts of a manifest that `seal --json` and `inspect --json` report.
#[derive(Serialize)]
struct ManifestSummary<'a> {
    kind: &'a str,
    label: Label,
    note: Option<&'a str>,
    created_at: String,
    encryption: parcel::Encryption,
    compression: Compression,
    recipients: &'a [parcel::Recipient],
    files: &'a [parcel::FileEntry],
    /// Present when the sender chose a label below the scan's suggestion.
    #[serde(skip_serializing_if = "Option::is_none")]
    label_override: Option<&'a parcel::LabelOverride>,
}

impl<'a> ManifestSummary<'a> {
    fn of(m: &'a Manifest) -> Self {
        Self {
            kind: m.kind.as_str(),
            label: m.label,
            note: m.note.as_deref(),
            created_at: rfc3339(m),
            encryption: m.encryption,
            compression: m.compression,
            recipients: &m.recipients,
            files: &m.files,
            label_override: m.label_override.as_ref(),
        }
    }
}

/// The lines `open` and `inspect` both start with: parcel, label, sender, note.
fn print_header(m: &Manifest, sender: &SenderReport<'_>) {
    println!(
        "Parcel:  {} ({}), sealed {}",
        m.parcel_id,
        m.kind,
        rfc3339(m)
    );
    println!(
        "Label:   {} ({}, OCHA sensitivity {})",
        m.label,
        m.label.tlp(),
        m.label.ocha_sensitivity()
    );
    if let Some(o) = &m.label_override {
        println!(
            "         (the sender chose it below the scan's suggestion, {}: \"{}\")",
            o.suggested, o.reason
        );
    }
    sender.print();
    if let Some(note) = &m.note {
        println!("Note:    {note}");
    }
}

fn rfc3339(m: &Manifest) -> String {
    m.created_at
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time formats")
}

pub(crate) fn seal(global: &Global, args: &SealArgs) -> Result<(), Failure> {
    // Check recipients, password and files before unlocking the identity, so that a typo is
    // reported before anyone is asked for a passphrase.
    let mut held = None;
    let to = match &args.password_file {
        Some(file) => {
            let password = Passphrase::read_file(file)?;
            password.check_strength()?;
            Addressees::Password(password)
        }
        None => {
            let home = global.home()?;
            let now = time::OffsetDateTime::now_utc();
            let membership = Membership::new(&home);
            // Names and roles need a current roster; bare age1 keys do not, but when a roster
            // is held it still records member ids and refuses removed members' keys.
            let needs_roster = args.to.iter().any(|t| {
                let t = t.trim().to_ascii_lowercase();
                // A signing key given by mistake is explained by the resolver, roster or not.
                !t.starts_with("age1") && !t.starts_with("ed25519:")
            });
            held = match membership.current(now) {
                Ok(held) => Some(held),
                Err(e) if needs_roster => return Err(e.into()),
                Err(
                    MembershipError::NotInCluster
                    | MembershipError::NoRoster { .. }
                    | MembershipError::RosterExpired { .. },
                ) => None,
                Err(e) => return Err(e.into()),
            };
            let roster = held.as_ref().map(|h| h.roster());
            if let Some(roster) = roster {
                check_sender(roster, home.profile()?.card().member_id)?;
            }
            Addressees::Recipients(resolve_addressees(roster, &args.to)?)
        }
    };
    let files = args
        .files
        .iter()
        .map(|path| FileSource::from_path(path))
        .collect::<Result<Vec<_>, _>>()?;
    let label_override =
        crate::commands::scan::review_label(&args.files, args.label, &args.override_reason)?;
    let sender = unlock(global)?;
    let request = SealRequest {
        purpose: Default::default(),
        label_override,
        label: args.label,
        note: args.note.clone(),
        files,
        to,
        compression: if args.no_compress {
            Compression::None
        } else {
            Compression::Zstd
        },
        roster: held.as_ref().map(|h| Membership::context(h.roster())),
    };
    let sealed = parcel::seal_to_file(&sender, request, &args.output, &Bar::new())?;
    let m = &sealed.manifest;
    let output = args.output.display().to_string();
    if args.json {
        print_json(&SealReport {
            parcel_id: m.parcel_id.to_string(),
            output,
            size: sealed.size,
            summary: ManifestSummary::of(m),
        });
        return Ok(());
    }
    println!(
        "Sealed {} file{} ({}) into {output} ({}), label {}.",
        m.files.len(),
        if m.files.len() == 1 { "" } else { "s" },
        size(m.total_size()),
        size(sealed.size),
        m.label
    );
    println!("  parcel id: {}", m.parcel_id);
    if args.password_file.is_some() {
        println!("  Only the password opens it, not even your own key.");
        println!(
            "  Send the password by another channel than the parcel (a call, not the same email)."
        );
    } else {
        println!(
            "  recipients: {} (you included, so you can re-open and audit what you sent)",
            m.recipients.len()
        );
    }
    Ok(())
}

/// The sender as `open --json` and `inspect --json` report it: the roster's name and
/// organisation when the roster knows the sender, else what the parcel claims.
#[derive(Serialize)]
struct SenderReport<'a> {
    member_id: String,
    name: &'a str,
    org: &'a str,
    signing_key: String,
    fingerprint: Option<Fingerprint>,
    status: SenderStatus,
    /// The roster version the status was decided with.
    roster_version: Option<u64>,
    #[serde(skip)]
    expected: bool,
}

impl<'a> SenderReport<'a> {
    fn of(m: &'a Manifest, status: SenderStatus, options: &'a OpenOptions) -> Self {
        let listed = options
            .roster
            .as_ref()
            .and_then(|r| r.member(m.sender.member_id))
            .filter(|_| status != SenderStatus::Unknown);
        // The sender's own recipient entry carries their age key; with the signing key it
        // gives the fingerprint that `sealpost whoami` shows on the sender's side.
        let fingerprint = m
            .recipients
            .iter()
            .find(|r| r.member_id == Some(m.sender.member_id))
            .map(|r| Fingerprint::of_member(&m.sender.sig_pk, &r.age_recipient));
        Self {
            member_id: m.sender.member_id.to_string(),
            name: listed.map_or(&m.sender.name, |l| &l.name),
            org: listed.map_or(&m.sender.org, |l| &l.org),
            signing_key: m.sender.sig_pk.to_string(),
            fingerprint,
            status,
            roster_version: options.roster.as_ref().map(|r| r.version),
            expected: options
                .expected_sender
                .is_some_and(|k| k == m.sender.sig_pk),
        }
    }

    fn print(&self) {
        println!("From:    {} ({})", self.name, self.org);
        match self.status {
            SenderStatus::Verified if self.expected => {
                println!(
                    "Sender:  verified: signed by the expected key {}",
                    self.signing_key
                );
            }
            SenderStatus::Verified => {
                println!(
                    "Sender:  verified: a member of your cluster roster (version {}), signing \
                     with their key",
                    self.roster_version.unwrap_or_default()
                );
            }
            SenderStatus::Removed => {
                println!(
                    "Sender:  REMOVED: {} was removed from the cluster (roster version {}); \
                     opened only because you passed --allow-untrusted-sender.",
                    self.name,
                    self.roster_version.unwrap_or_default()
                );
            }
            SenderStatus::KeyMismatch => {
                println!(
                    "Sender:  KEY MISMATCH: signed with {}, which the roster does not hold for \
                     {}; opened only because you passed --allow-untrusted-sender.",
                    self.signing_key, self.name
                );
            }
            _ => {
                println!(
                    "Sender:  UNKNOWN: the signature is valid, but {} confirms that {} belongs \
                     to {}.",
                    match self.roster_version {
                        Some(v) => format!("they are not in your roster (version {v}), so nothing"),
                        None => "you hold no cluster roster, so nothing".to_owned(),
                    },
                    self.signing_key,
                    self.name
                );
                match &self.fingerprint {
                    Some(fp) => println!(
                        "         Compare this fingerprint with the one their `sealpost whoami` \
                         shows (by phone): {fp}"
                    ),
                    None => println!(
                        "         Compare this signing key with the one their `sealpost whoami` \
                         shows (by phone)."
                    ),
                }
                println!(
                    "         Once you know their signing key, open with --expect-sender KEY to \
                     refuse anything else."
                );
            }
        }
    }
}

/// What opens a parcel: the member's identities (current, pending and retired keys), or the
/// parcel's password.
enum Opener {
    Identities(Vec<sealpost_core::Identity>),
    Password(Passphrase),
}

impl Opener {
    /// The password from `--password-file` when given (a password parcel needs no identity:
    /// anyone with the password may open it), else the unlocked identity.
    fn load(global: &Global, reader: &ReaderArgs) -> Result<Self, Failure> {
        Ok(match &reader.password_file {
            Some(file) => Opener::Password(Passphrase::read_file(file)?),
            None => {
                let current = unlock(global)?;
                Opener::Identities(global.home()?.all_identities(current)?)
            }
        })
    }

    fn key(&self) -> Key<'_> {
        match self {
            Opener::Identities(identities) => Key::Identities(identities),
            Opener::Password(password) => Key::Password(password),
        }
    }
}

#[derive(Serialize)]
struct OpenReport<'a> {
    parcel_id: String,
    kind: &'a str,
    label: Label,
    note: Option<&'a str>,
    created_at: String,
    sender: SenderReport<'a>,
    files: &'a [parcel::OpenedFile],
    written: bool,
}

pub(crate) fn open(global: &Global, args: &OpenArgs) -> Result<(), Failure> {
    let Some(parcel) = &args.parcel else {
        // clap requires a parcel unless --all is given.
        return crate::commands::mailroom::open_all(
            global,
            &crate::commands::mailroom::OpenAll {
                since: args.since.as_deref(),
                dir: args.output.as_deref(),
                yes: args.yes,
                report: args.report.as_deref(),
                json: args.json,
            },
        );
    };
    // A parcel id that is not also a file name: a parcel held in the mailroom.
    if !parcel.exists()
        && let Some(id) = parcel
            .to_str()
            .filter(|s| s.parse::<sealpost_format::ParcelId>().is_ok())
    {
        if args.check || args.reader.password_file.is_some() || args.reader.expect_sender.is_some()
        {
            return Err(Failure::new(
                "usage",
                "--check, --password-file and --expect-sender apply to parcel files; a received                  parcel was verified when it arrived and is verified again as it opens",
            ));
        }
        return crate::commands::mailroom::open_held(
            global,
            id,
            args.output.as_deref(),
            args.yes,
            args.reader.allow_untrusted_sender,
            args.json,
        );
    }
    if args.output.is_none() && !args.check {
        return Err(Failure::new(
            "usage",
            "give -o DIR to write the parcel's files, or --check to only verify it",
        ));
    }
    let opener = Opener::load(global, &args.reader)?;
    let (options, _) = args.reader.options(global)?;
    let destination = match &args.output {
        Some(dir) => Destination::Directory(dir),
        None => Destination::VerifyOnly,
    };
    let opened = parcel::open_file(parcel, opener.key(), &options, destination, &Bar::new())?;
    let m = &opened.manifest;
    let sender = SenderReport::of(m, opened.sender_status, &options);
    if args.json {
        print_json(&OpenReport {
            parcel_id: m.parcel_id.to_string(),
            kind: m.kind.as_str(),
            label: m.label,
            note: m.note.as_deref(),
            created_at: rfc3339(m),
            sender,
            files: &opened.files,
            written: args.output.is_some(),
        });
        return Ok(());
    }
    print_header(m, &sender);
    match &args.output {
        Some(dir) => println!(
            "Verified and wrote {} file(s) to {}:",
            opened.files.len(),
            dir.display()
        ),
        None => println!(
            "Verified {} file(s); nothing was written (--check):",
            opened.files.len()
        ),
    }
    for file in &opened.files {
        println!(
            "  {}  {}  sha256 {}",
            file.name,
            size(file.size),
            file.sha256
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct InspectReport<'a> {
    parcel_id: String,
    sender: SenderReport<'a>,
    #[serde(flatten)]
    summary: ManifestSummary<'a>,
    contents_verified: bool,
}

pub(crate) fn inspect(global: &Global, args: &InspectArgs) -> Result<(), Failure> {
    let opener = Opener::load(global, &args.reader)?;
    let (options, _) = args.reader.options(global)?;
    let file = std::fs::File::open(&args.parcel)
        .map_err(|e| Failure::new("io", format!("cannot open {}: {e}", args.parcel.display())))?;
    let inspected = parcel::inspect(file, opener.key(), &options)?;
    let m = &inspected.manifest;
    let sender = SenderReport::of(m, inspected.sender_status, &options);
    if args.json {
        print_json(&InspectReport {
            parcel_id: m.parcel_id.to_string(),
            sender,
            summary: ManifestSummary::of(m),
            contents_verified: false,
        });
        return Ok(());
    }
    print_header(m, &sender);
    match m.encryption {
        parcel::Encryption::Scrypt => println!("Sealed with a password."),
        _ => println!(
            "Sealed to {} recipient(s), the sender included.",
            m.recipients.len()
        ),
    }
    println!("Files ({}, {}):", m.files.len(), size(m.total_size()));
    for f in &m.files {
        println!("  {}  {}  {}", f.name, size(f.size), f.media_type);
    }
    println!(
        "The manifest's signature is valid; the file contents are checked only by `sealpost open`."
    );
    Ok(())
}
