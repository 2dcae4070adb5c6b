//! Test harness: a private temporary directory per test, and a builder that runs the real
//! `sealpost` binary there as one member, capturing its exit code, stdout and stderr.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use data_encoding::HEXLOWER;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The passphrase that test members protect their identities with (at least 12 characters).
pub const PASSPHRASE: &str = "correct horse battery staple";

/// The organisation every test member belongs to.
const ORG: &str = "Example NGO";

/// A file of the synthetic sample data set (no real person, number or place in it).
pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/sensitivity")
        .join(name)
}

/// The SHA-256 of `bytes` in lowercase hex, as manifests and `open --json` show it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(bytes))
}

/// The keys of a JSON object, to compare a report's shape with what the CLI promises.
pub fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {value}"))
        .keys()
        .cloned()
        .collect()
}

/// The set of `names`, to compare with [`keys`].
pub fn key_set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// A string field of a JSON object.
pub fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string in {value}"))
}

/// Whether an external program can be started (e.g. `age`, `zstd`).
pub fn tool_available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A binary of another workspace package (`package`), which Cargo builds beside `sealpost`
/// when the whole workspace is tested; built here when this test binary runs alone.
pub fn workspace_binary(package: &str) -> PathBuf {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_sealpost"))
        .parent()
        .expect("the binary has a folder")
        .join(package);
    if !binary.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", package])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building {package} failed");
    }
    binary
}

/// One test's private world: member data directories, payloads, passphrase files and outputs
/// all live in one temporary directory, removed when the test ends.
#[derive(Debug)]
pub struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sealpost-e2e-")
            .tempdir()
            .expect("create a temporary directory");
        // An empty runtime directory: no `bus` socket in it, so no session keyring either.
        std::fs::create_dir(dir.path().join("runtime")).expect("create the runtime directory");
        Self { dir }
    }

    /// A path inside the sandbox.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The data directory of `member`.
    pub fn home(&self, member: &str) -> PathBuf {
        self.path("homes").join(member)
    }

    /// Writes a file (creating its folders) and returns its path.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().expect("a file has a parent"))
            .expect("create folders");
        std::fs::write(&path, contents).expect("write a test file");
        path
    }

    /// The file holding [`PASSPHRASE`], with a trailing newline as `echo` would write it.
    pub fn passphrase_file(&self) -> PathBuf {
        let path = self.path("passphrase.txt");
        if !path.exists() {
            std::fs::write(&path, format!("{PASSPHRASE}\n")).expect("write the passphrase");
        }
        path
    }

    /// `sealpost --home HOME(member)`, with no keyring reachable and no inherited settings.
    pub fn sealpost(&self, member: &str) -> Sealpost {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sealpost"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SEALPOST_") {
                command.env_remove(name);
            }
        }
        command
            .arg("--home")
            .arg(self.home(member))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            // Nothing outside the sandbox: no platform data directory, no user configuration.
            .env("HOME", self.dir.path())
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CONFIG_HOME");
        let mut sealpost = Sealpost {
            command,
            passphrase_file: self.passphrase_file(),
            shown: format!("sealpost [{member}]"),
        };
        sealpost.cut_off_keyring(self);
        sealpost
    }

    /// Creates `member`'s identity protected by [`PASSPHRASE`] and returns `whoami --json`.
    pub fn member(&self, member: &str) -> Value {
        self.sealpost(member)
            .args(["init", "--name", member, "--org", ORG, "--json"])
            .unlocked()
            .succeeds();
        self.sealpost(member)
            .args(["whoami", "--json"])
            .succeeds()
            .json()
    }
}

/// One `sealpost` command being put together.
#[derive(Debug)]
pub struct Sealpost {
    command: Command,
    passphrase_file: PathBuf,
    shown: String,
}

impl Sealpost {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.shown.push(' ');
        self.shown.push_str(&arg.as_ref().to_string_lossy());
        self.command.arg(arg);
        self
    }

    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Self {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    pub fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    /// Runs in `dir` instead of the sandbox root.
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Adds `--passphrase-file` with the sandbox's [`PASSPHRASE`].
    pub fn unlocked(self) -> Self {
        let file = self.passphrase_file.clone();
        self.arg("--passphrase-file").arg(file)
    }

    /// Points the D-Bus session bus at a socket that does not exist, so that no Secret Service
    /// is reachable even when the tests run inside a keyring session: tests outside
    /// `keyring.rs` then behave the same everywhere, and never leave secrets in a real keyring.
    fn cut_off_keyring(&mut self, sandbox: &Sandbox) {
        let no_bus = sandbox.path("runtime/no-such-bus");
        let mut address = std::ffi::OsString::from("unix:path=");
        address.push(no_bus);
        self.command
            .env("DBUS_SESSION_BUS_ADDRESS", address)
            .env("XDG_RUNTIME_DIR", sandbox.path("runtime"));
    }

    /// Lets the command reach the session's Secret Service, as a desktop user's would.
    pub fn with_session_keyring(mut self) -> Self {
        for name in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"] {
            match std::env::var_os(name) {
                Some(value) => self.command.env(name, value),
                None => self.command.env_remove(name),
            };
        }
        self
    }

    pub fn run(mut self) -> Outcome {
        let output = self
            .command
            .output()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.shown));
        Outcome {
            shown: self.shown,
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// The same command, run through `prefix`: `PREFIX... sealpost ARGS`, with the same
    /// environment and directory (e.g. `ip netns exec NS` to run it inside a network
    /// namespace). Arguments added afterwards still go to `sealpost`.
    pub fn via(mut self, prefix: &[&OsStr]) -> Self {
        let (program, rest) = prefix.split_first().expect("a prefix names a program");
        let mut command = Command::new(program);
        command
            .args(rest)
            .arg(self.command.get_program())
            .args(self.command.get_args())
            .stdin(Stdio::null());
        for (name, value) in self.command.get_envs() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        if let Some(dir) = self.command.get_current_dir() {
            command.current_dir(dir);
        }
        let shown: Vec<_> = prefix.iter().map(|p| p.to_string_lossy()).collect();
        self.shown = format!("{} {}", shown.join(" "), self.shown);
        self.command = command;
        self
    }

    /// Starts the command in the background, stdout and stderr piped: the caller reads them
    /// (a child blocks once a full pipe is left unread), and waits for or kills the child.
    pub fn spawn(mut self) -> std::process::Child {
        self.command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.shown))
    }

    /// Runs and insists on success.
    pub fn succeeds(self) -> Outcome {
        let outcome = self.run();
        assert_eq!(outcome.code, Some(0), "expected success:\n{outcome}");
        outcome
    }
}

/// What a finished command did.
#[derive(Debug)]
pub struct Outcome {
    shown: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\nexit code: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.shown, self.code, self.stdout, self.stderr
        )
    }
}

impl Outcome {
    /// Stdout parsed as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{self}"))
    }

    /// A failure as the CLI promises it: exit code 1 and exactly one line on stderr,
    /// `sealpost: error: …`, that contains `message_part`. Returns that line.
    pub fn assert_failed_with(&self, message_part: &str) -> &str {
        assert_eq!(self.code, Some(1), "expected exit code 1:\n{self}");
        self.error_line(message_part)
    }

    /// The one stderr line every failure prints, checked to contain `message_part`.
    fn error_line(&self, message_part: &str) -> &str {
        let line = self
            .stderr
            .strip_suffix('\n')
            .unwrap_or_else(|| panic!("stderr does not end with a newline:\n{self}"));
        assert!(
            !line.contains('\n'),
            "stderr must be exactly one line:\n{self}"
        );
        assert!(
            line.starts_with("sealpost: error: "),
            "stderr must start with `sealpost: error: `:\n{self}"
        );
        assert!(
            line.contains(message_part),
            "stderr does not mention {message_part:?}:\n{self}"
        );
        line
    }

    /// A failure with `--json`: [`Self::assert_failed_with`], plus exactly
    /// `{"error":{"code","message"}}` on stdout with this code and the stderr message.
    pub fn assert_json_error(&self, code: &str, message_part: &str) {
        let line = self.assert_failed_with(message_part);
        let body = self.json();
        assert_eq!(keys(&body), key_set(&["error"]), "{self}");
        let error = &body["error"];
        assert_eq!(keys(error), key_set(&["code", "message"]), "{self}");
        assert_eq!(text(error, "code"), code, "{self}");
        assert_eq!(
            Some(text(error, "message")),
            line.strip_prefix("sealpost: error: "),
            "the JSON message must be the stderr message:\n{self}"
        );
    }

    /// A command line refused before Sealpost ran: exit code 2 and the same one-line error
    /// as any failure; with `--json`, the error object with code `usage` on stdout.
    pub fn assert_usage_error(&self, message_part: &str) {
        assert_eq!(self.code, Some(2), "expected a usage error:\n{self}");
        let line = self.error_line(message_part);
        if !self.stdout.is_empty() {
            let body = self.json();
            assert_eq!(text(&body["error"], "code"), "usage", "{self}");
            assert_eq!(
                Some(text(&body["error"], "message")),
                line.strip_prefix("sealpost: error: "),
                "{self}"
            );
        }
    }
}
