//! `init`, `whoami`, `identity export` and `identity import`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sealpost_core::keystore::write_backup;
use sealpost_core::{
    Backup, Home, Identity, KeystoreError, KeystoreKind, MemberCard, Passphrase, Profile,
    Protection,
};
use serde::Serialize;

use crate::Global;
use crate::failure::Failure;
use crate::output::print_json;
use crate::secrets;

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Your name, as cluster members know you
    #[arg(long)]
    name: String,
    /// Your organisation
    #[arg(long)]
    org: String,
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct WhoamiArgs {
    /// Print the result as JSON
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum IdentityCommand {
    /// Write a backup of your identity: passphrase-protected (--passphrase-file), or a plain
    /// age identity file (--plain)
    Export(ExportArgs),
    /// Restore your identity from a backup made by `identity export`
    Import(ImportArgs),
}

impl IdentityCommand {
    pub(crate) fn wants_json(&self) -> bool {
        match self {
            IdentityCommand::Export(a) => a.json,
            IdentityCommand::Import(a) => a.json,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Write an UNPROTECTED standard age identity file (usable with `age -d -i FILE`)
    #[arg(long)]
    plain: bool,
    /// Where to write the backup (never overwritten)
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The backup file
    file: PathBuf,
    /// Replace the identity already in the data directory
    #[arg(long)]
    force: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

/// `whoami --json`, and the identity part of `init` and `import`.
#[derive(Serialize)]
struct IdentityReport<'a> {
    #[serde(flatten)]
    card: MemberCard,
    keystore: KeystoreKind,
    home: &'a str,
}

fn report(home: &Home, profile: &Profile, json: bool) {
    let home = home.dir().display().to_string();
    let card = profile.card();
    if json {
        print_json(&IdentityReport {
            card,
            keystore: profile.keystore(),
            home: &home,
        });
        return;
    }
    println!("{} ({})", card.name, card.org);
    println!("  member id:      {}", card.member_id);
    println!("  age recipient:  {}", card.age_recipient);
    println!("  signing key:    {}", card.signing_key);
    println!("  fingerprint:    {}", card.fingerprint);
    println!(
        "  keys kept in:   {}",
        keystore_words(profile.keystore(), &home)
    );
}

fn keystore_words(kind: KeystoreKind, home: &str) -> String {
    match kind {
        KeystoreKind::OsKeyring => "the OS keyring".into(),
        KeystoreKind::PassphraseFile => {
            format!("{home}/identity.age, protected by your passphrase")
        }
    }
}

/// Stores a new or imported identity: in the OS keyring, unless a passphrase file was given or
/// there is no keyring; then in `identity.age` under a passphrase (`reuse`, else asked for).
fn store(
    global: &Global,
    home: &Home,
    identity: &Identity,
    replace: bool,
    reuse: Option<&Passphrase>,
) -> Result<Profile, Failure> {
    let how = "give --passphrase-file FILE to protect your identity with a passphrase";
    if reuse.is_none()
        && let Some(file) = secrets::passphrase_file(global)
    {
        let passphrase = secrets::new(Some(&file), "your identity", how)?;
        return Ok(home.store_identity(identity, Protection::Passphrase(&passphrase), replace)?);
    }
    match home.store_identity(identity, Protection::OsKeyring, replace) {
        Err(KeystoreError::KeyringUnavailable { reason }) => {
            let notice = |protected_by: &str| {
                eprintln!(
                    "No OS keyring is reachable from this session, so your identity will be kept \
                     in an encrypted file protected by {protected_by} (the keyring said: {reason})."
                );
            };
            let passphrase;
            let passphrase = match reuse {
                Some(reused) => {
                    notice("the backup's passphrase");
                    reused
                }
                None if secrets::interactive() => {
                    notice("a passphrase you choose now");
                    passphrase = secrets::new(None, "your identity", how)?;
                    &passphrase
                }
                None => {
                    return Err(Failure::new(
                        "keyring-unavailable",
                        format!(
                            "no OS keyring is reachable from this session; {how} (the keyring \
                             said: {reason})"
                        ),
                    ));
                }
            };
            Ok(home.store_identity(identity, Protection::Passphrase(passphrase), replace)?)
        }
        other => Ok(other?),
    }
}

pub(crate) fn init(global: &Global, args: &InitArgs) -> Result<(), Failure> {
    let home = global.home()?;
    home.ensure_empty()?;
    let identity = Identity::generate(&args.name, &args.org)?;
    let profile = store(global, &home, &identity, false, None)?;
    if !args.json {
        println!("Created your Sealpost identity.");
    }
    report(&home, &profile, args.json);
    if !args.json {
        println!();
        println!("Back it up now, and keep the backup offline:");
        println!("  sealpost identity export -o sealpost-backup.age --passphrase-file FILE");
    }
    Ok(())
}

pub(crate) fn whoami(global: &Global, args: &WhoamiArgs) -> Result<(), Failure> {
    let home = global.home()?;
    // Public facts only: no secret is unlocked, so no passphrase is asked for.
    let profile = home.profile()?;
    report(&home, &profile, args.json);
    Ok(())
}

/// Loads the identity with its secret keys, asking for the passphrase only if it is needed.
pub(crate) fn unlock(global: &Global) -> Result<Identity, Failure> {
    Ok(unlock_with(global, secrets::passphrase_file(global))?.0)
}

/// [`unlock`], also returning the passphrase it used, for commands that store new keys the
/// same way (a key change).
pub(crate) fn unlock_keeping_passphrase(
    global: &Global,
) -> Result<(Identity, Option<Passphrase>), Failure> {
    unlock_with(global, secrets::passphrase_file(global))
}

fn unlock_with(
    global: &Global,
    file: Option<PathBuf>,
) -> Result<(Identity, Option<Passphrase>), Failure> {
    let home = global.home()?;
    let passphrase = match home.profile()?.keystore() {
        KeystoreKind::OsKeyring => None,
        KeystoreKind::PassphraseFile => secrets::existing(file.as_deref(), "your identity")?,
    };
    let identity = home.unlock(passphrase.as_ref())?;
    Ok((identity, passphrase))
}

pub(crate) fn identity(global: &Global, command: &IdentityCommand) -> Result<(), Failure> {
    match command {
        IdentityCommand::Export(args) => export(global, args),
        IdentityCommand::Import(args) => import(global, args),
    }
}

#[derive(Serialize)]
struct ExportReport {
    output: String,
    protected: bool,
    member_id: sealpost_format::MemberId,
}

fn export(global: &Global, args: &ExportArgs) -> Result<(), Failure> {
    // For a protected backup, --passphrase-file names the backup's passphrase, and a
    // passphrase-protected identity is unlocked with SEALPOST_PASSPHRASE_FILE when set, else
    // with that same file. A plain export has no passphrase of its own, so --passphrase-file
    // keeps its usual meaning there: it unlocks the identity, as the "passphrase required"
    // error tells the user to do.
    let backup_file = global.passphrase_file.clone();
    let unlock_file = if args.plain {
        secrets::passphrase_file(global)
    } else {
        std::env::var_os(secrets::PASSPHRASE_FILE_ENV)
            .map(PathBuf::from)
            .or_else(|| backup_file.clone())
    };
    let (identity, _) = unlock_with(global, unlock_file)?;
    let passphrase = if args.plain {
        None
    } else {
        Some(secrets::new(
            backup_file.as_deref(),
            "the backup",
            "give --passphrase-file FILE for a passphrase-protected backup, or --plain for an \
             unprotected age identity file",
        )?)
    };
    write_backup(&identity, &args.output, passphrase.as_ref())?;
    let output = args.output.display().to_string();
    if args.plain {
        eprintln!(
            "WARNING: {output} holds your SECRET keys WITHOUT any protection. Anyone who gets \
             it can read every parcel sent to you and sign as you. Keep it offline, and delete \
             it as soon as you no longer need it."
        );
    }
    if args.json {
        print_json(&ExportReport {
            output,
            protected: !args.plain,
            member_id: identity.member_id(),
        });
    } else if args.plain {
        println!("Wrote your unprotected identity to {output}.");
        println!("Recover a parcel without Sealpost: age -d -i {output} PARCEL | zstd -d | tar -x");
        println!("(leave out `zstd -d |` for parcels sealed with --no-compress)");
    } else {
        println!("Wrote a passphrase-protected backup of your identity to {output}.");
        println!("Restore it with: sealpost identity import {output}");
    }
    Ok(())
}

#[derive(Serialize)]
struct ImportReport<'a> {
    #[serde(flatten)]
    identity: IdentityReport<'a>,
    replaced: bool,
}

fn import(global: &Global, args: &ImportArgs) -> Result<(), Failure> {
    let home = global.home()?;
    let backup = Backup::read(&args.file)?;
    let passphrase = if backup.is_protected() {
        let file = secrets::passphrase_file(global);
        let passphrase = secrets::existing(file.as_deref(), "the backup")?
            .ok_or(KeystoreError::PassphraseRequired)?;
        Some(passphrase)
    } else {
        None
    };
    let identity = backup.identity(passphrase.as_ref())?;
    let replaced = match home.profile() {
        Ok(existing) if existing.card() == identity.card() && !args.force => {
            return Err(Failure::new(
                "already-imported",
                format!(
                    "{} already holds this identity; nothing to do (if its secret keys were \
                     lost, e.g. removed from the OS keyring, add --force to store them again)",
                    home.dir().display()
                ),
            ));
        }
        Ok(_) if !args.force => home.ensure_empty().map(|()| false)?,
        Ok(_) => true,
        Err(_) => false,
    };
    let profile = store(global, &home, &identity, args.force, passphrase.as_ref())?;
    let home_text = home.dir().display().to_string();
    if args.json {
        print_json(&ImportReport {
            identity: IdentityReport {
                card: profile.card(),
                keystore: profile.keystore(),
                home: &home_text,
            },
            replaced,
        });
    } else {
        println!(
            "Imported the identity of {} ({}).",
            identity.name(),
            identity.org()
        );
        report(&home, &profile, false);
    }
    Ok(())
}
