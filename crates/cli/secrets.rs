//! Getting secrets from people: from a file named by an option or an environment variable, or
//! typed at a prompt when a terminal is attached. Never from a command-line argument, which
//! other users of the machine can read in the process list.

use std::io::IsTerminal;
use std::path::Path;

use sealpost_core::Passphrase;

use crate::Global;
use crate::failure::Failure;

/// The environment variable naming a file with the identity's passphrase.
pub(crate) const PASSPHRASE_FILE_ENV: &str = "SEALPOST_PASSPHRASE_FILE";

/// Whether a person can be asked: stdin and stderr are both terminals.
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn prompt(text: &str) -> Result<Passphrase, Failure> {
    let typed = rpassword::prompt_password(text)
        .map_err(|e| Failure::new("prompt-failed", format!("cannot read the passphrase: {e}")))?;
    Ok(Passphrase::new(typed)?)
}

/// The file given by `--passphrase-file`, else by `SEALPOST_PASSPHRASE_FILE`.
pub(crate) fn passphrase_file(global: &Global) -> Option<std::path::PathBuf> {
    global
        .passphrase_file
        .clone()
        .or_else(|| std::env::var_os(PASSPHRASE_FILE_ENV).map(Into::into))
}

/// The passphrase that unlocks an existing identity or backup, or `None` when there is no
/// file and no terminal to ask on.
pub(crate) fn existing(file: Option<&Path>, what: &str) -> Result<Option<Passphrase>, Failure> {
    if let Some(file) = file {
        return Ok(Some(Passphrase::read_file(file)?));
    }
    if interactive() {
        return prompt(&format!("Passphrase for {what}: ")).map(Some);
    }
    Ok(None)
}

/// A newly chosen passphrase: from the file (checked for strength), or typed twice.
pub(crate) fn new(
    file: Option<&Path>,
    what: &str,
    how_to_give: &str,
) -> Result<Passphrase, Failure> {
    if let Some(file) = file {
        let passphrase = Passphrase::read_file(file)?;
        passphrase.check_strength()?;
        return Ok(passphrase);
    }
    if !interactive() {
        return Err(Failure::new("passphrase-required", how_to_give));
    }
    loop {
        let first = prompt(&format!("Choose a passphrase for {what}: "))?;
        if let Err(e) = first.check_strength() {
            eprintln!("{e}");
            continue;
        }
        let again = prompt("Type it again: ")?;
        if first.same_as(&again) {
            return Ok(first);
        }
        eprintln!("The two passphrases differ; try again.");
    }
}
