//! The desktop app in its real webview, end to end: `sealpost-desktop` instances (each with its
//! own data directory) on an Xvfb display, driven through `tauri-driver` and Debian's
//! `WebKitWebDriver`, against a real relay.
//!
//! - A partner picks a beneficiary list in the native file dialog, the app's scan marks it
//!   highly-confidential and offers a pseudonymised copy (made and previewed, then declined),
//!   the partner sends it to the IMO; the IMO sees the verified sender and
//!   the label and opens it; the partner sees the `opened` receipt, asks for the parcel's
//!   deletion and sees the `deleted` receipt once the IMO's app erased its copies.
//! - A coordinator's app makes an invite; a newcomer's app creates an identity and joins with
//!   the code; the coordinator approves the request showing the newcomer's fingerprint; the
//!   newcomer's app is admitted and shows the members' safety numbers; it reports a concern,
//!   which the coordinator's app receives and answers.
//!
//! Every step leaves a screenshot in `target/tmp/desktop-e2e*/` to look at, and the widest
//! screens are checked in Burmese at 200 % zoom.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::mailroom::{COORDINATOR, Cluster, IMO, PARTNER, beneficiary_list};
use crate::util::PASSPHRASE;

/// The longest any one step may take: a cold WebKit start on a busy 2-core CI runner is the
/// slowest of them.
const STEP: Duration = Duration::from_secs(90);

/// The programs this test drives the app with, or why it cannot run here.
struct Tools {
    app: PathBuf,
    tauri_driver: PathBuf,
}

impl Tools {
    /// Everything `scripts/setup` installs for this test. Missing tools skip the test on a
    /// developer's machine, and fail it under CI, where setup has run.
    fn find() -> Option<Self> {
        let mut missing = Vec::new();
        for program in ["Xvfb", "WebKitWebDriver", "xdotool"] {
            if which(program).is_none() {
                missing.push(program.to_owned());
            }
        }
        let tauri_driver = which("tauri-driver").or_else(|| {
            let cargo_bin = PathBuf::from(std::env::var_os("HOME")?).join(".cargo/bin");
            Some(cargo_bin.join("tauri-driver")).filter(|p| p.exists())
        });
        if tauri_driver.is_none() {
            missing.push("tauri-driver".into());
        }
        if !missing.is_empty() {
            let why = format!("{} not installed: run scripts/setup", missing.join(", "));
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("skipping the desktop end-to-end test: {why}");
            return None;
        }
        Some(Self {
            app: crate::util::workspace_binary("sealpost-desktop"),
            tauri_driver: tauri_driver.expect("checked above"),
        })
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// A child process killed when dropped, with everything it started (tauri-driver starts
/// WebKitWebDriver, which starts the app): each runs in a process group of its own.
struct Process(Child);

impl Process {
    fn spawn(command: &mut Command) -> Self {
        use std::os::unix::process::CommandExt;
        Self(
            command
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", command.get_program())),
        )
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// An X server in memory, the size of the laptop screen the UI is designed for.
struct Display {
    _xvfb: Process,
    name: String,
}

impl Display {
    fn start() -> Self {
        let mut xvfb = Process::spawn(
            Command::new("Xvfb")
                .args([
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        // With -displayfd, Xvfb picks a free display number and writes it once it is ready.
        let mut number = String::new();
        BufReader::new(xvfb.0.stdout.take().expect("piped stdout"))
            .read_line(&mut number)
            .expect("Xvfb says its display");
        let number = number.trim();
        assert!(!number.is_empty(), "Xvfb did not start");
        Self {
            _xvfb: xvfb,
            name: format!(":{number}"),
        }
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.name)
            .output()
            .expect("xdotool runs");
        assert!(
            out.status.success(),
            "xdotool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Answers the native GTK file dialog titled `title` as a person would with the keyboard:
    /// Ctrl+L, the file's path, Enter. WebDriver reaches only the web page, not this dialog.
    fn choose_in_dialog(&self, title: &str, file: &Path) {
        let window = self
            .find_dialog(title, STEP)
            .unwrap_or_else(|| panic!("no dialog titled {title:?} appeared"));
        self.answer_dialog(&window, file);
    }

    /// The window of the dialog titled `title`, once it is shown; `None` after `within`.
    fn find_dialog(&self, title: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let found = Command::new("xdotool")
                .args(["search", "--onlyvisible", "--name", title])
                .env("DISPLAY", &self.name)
                .output()
                .expect("xdotool runs");
            if let Some(id) = String::from_utf8_lossy(&found.stdout).lines().next() {
                return Some(id.to_owned());
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Types `file` into the dialog `window` (see [`Display::choose_in_dialog`]).
    fn answer_dialog(&self, window: &str, file: &Path) {
        // Give the dialog a moment to map its widgets before typing into it.
        std::thread::sleep(Duration::from_millis(700));
        self.xdotool(&["windowfocus", "--sync", window]);
        self.xdotool(&["key", "--clearmodifiers", "ctrl+l"]);
        std::thread::sleep(Duration::from_millis(300));
        // A save dialog proposes a name and selects it without its extension: replace all of it.
        self.xdotool(&["key", "--clearmodifiers", "ctrl+a"]);
        // Typed slowly: GTK's location bar completes as it goes, and a fast typist can race it.
        let path = file.to_str().expect("a UTF-8 path");
        self.xdotool(&["type", "--delay", "40", path]);
        std::thread::sleep(Duration::from_millis(500));
        self.xdotool(&["key", "Return"]);
    }
}

/// One app instance under `tauri-driver`, for one member.
struct App {
    client: Client,
    who: &'static str,
    shots: PathBuf,
    started: Instant,
    _driver: Process,
}

impl App {
    /// Starts `tauri-driver` for the app with `home` as its data directory, and the app
    /// through it.
    async fn launch(
        tools: &Tools,
        display: &Display,
        who: &'static str,
        home: &Path,
        shots: &Path,
        started: Instant,
    ) -> Self {
        let port = free_port();
        let native_port = free_port();
        // The webview keeps its storage (the language chosen, among others) per user, not per
        // data directory: each app gets its own, so that one test's Burmese does not carry over
        // into another app running beside it.
        let webview_data = home.with_extension("webview");
        let driver = Process::spawn(
            Command::new(&tools.tauri_driver)
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native_port.to_string(),
                ])
                .env("DISPLAY", &display.name)
                .env("SEALPOST_HOME", home)
                .env("XDG_DATA_HOME", &webview_data)
                .env("XDG_CACHE_HOME", webview_data.join("cache"))
                // WebKitGTK's GPU paths need a real GPU; Xvfb has none.
                .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
                .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
                // The UI starts in English for the assertions below; Burmese is covered by the
                // UI's unit tests and looked at in the screenshots of docs/ui.md.
                .env("LANG", "C.UTF-8")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("wry"));
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": tools.app.to_str().expect("a UTF-8 path") }),
        );
        let deadline = Instant::now() + STEP;
        let client = loop {
            // tauri-driver takes a moment to listen; the first session starts WebKit.
            match ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "no WebDriver session for {who}: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        };
        Self {
            client,
            who,
            shots: shots.to_owned(),
            started,
            _driver: driver,
        }
    }

    async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(STEP)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{}: no {css} on screen: {e}", self.who))
    }

    async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}: cannot click {css}: {e}", self.who));
    }

    /// Waits for `css`, pressing "Sync now" every few seconds: the test does not wait for the
    /// background sync's interval.
    async fn sync_until(&self, css: &str) -> Element {
        let deadline = Instant::now() + STEP;
        loop {
            if let Ok(found) = self.client.find(Locator::Css(css)).await {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {css} did not appear after syncing for {STEP:?}",
                self.who
            );
            self.click("#sync-now").await;
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
    }

    /// Saves what the window shows now as `NN-who-step.png`.
    async fn shot(&self, step: &str) {
        // WebKitWebDriver's screenshot waits for the next frame the page draws, and a page
        // at rest draws none until something changes (here, the next sync pass, up to 30 s
        // later). So, while a screenshot is taken, one nearly transparent pixel in a corner
        // keeps changing.
        self.client
            .execute(
                "if (!document.getElementById('e2e-repaint')) {
                   const p = document.createElement('div');
                   p.id = 'e2e-repaint';
                   p.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none';
                   document.body.appendChild(p);
                   let n = 0;
                   setInterval(() => { n ^= 1; p.style.background = `rgba(0,0,0,0.0${n + 1})`; }, 50);
                 }",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("{}: cannot run a script: {e}", self.who));
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("{}: no screenshot: {e}", self.who));
        let count = std::fs::read_dir(&self.shots).map_or(0, Iterator::count);
        let path = self
            .shots
            .join(format!("{count:02}-{}-{step}.png", self.who));
        std::fs::write(&path, png).expect("write a screenshot");
        // A timeline in the test's output: which step a slow or failed run spent its time on.
        eprintln!(
            "desktop e2e: {:>5.1} s  {}",
            self.started.elapsed().as_secs_f64(),
            path.file_name().unwrap_or_default().to_string_lossy()
        );
    }

    async fn unlock(&self) {
        self.find("#passphrase")
            .await
            .send_keys(PASSPHRASE)
            .await
            .expect("type the passphrase");
        self.shot("unlock").await;
        self.click("#unlock").await;
        self.find("#sync-now").await;
    }

    /// The screen in Burmese, then at 200 % zoom: a screenshot of each, and no sideways
    /// scrolling at 200 % (the text must wrap, not run off the window).
    async fn burmese_at_200_percent(&self, step: &str) {
        self.click(".language-switch button[lang=my]").await;
        self.find("html[lang=my]").await;
        self.shot(&format!("{step}-burmese")).await;
        let overflow = self
            .client
            .execute(
                "document.documentElement.style.zoom = '2';
                 return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .expect("zoom the page");
        self.shot(&format!("{step}-burmese-200-percent")).await;
        assert_eq!(
            overflow.as_i64(),
            Some(0),
            "{}: at 200 % zoom the {step} screen scrolls sideways by {overflow} px",
            self.who
        );
        self.client
            .execute("document.documentElement.style.zoom = '';", vec![])
            .await
            .expect("reset the zoom");
    }

    async fn go_to(&self, screen: &str) {
        self.click(&format!("nav [data-screen={screen}]")).await;
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn a_partner_sends_a_highly_confidential_sheet_and_the_imo_opens_it_in_the_desktop_app() {
    let Some(tools) = Tools::find() else {
        return;
    };
    let cluster = Cluster::new();
    let sheet = beneficiary_list(
        &cluster.sandbox,
        "to-send/kyaukme-distribution.csv",
        "MARKER-Nandar-4410",
    );
    // The cluster's pseudonymisation key, where the app looks for it (the coordinator hands
    // it to members; here the CLI makes one).
    let key = cluster.home(PARTNER).join("pseudonym.key");
    cluster
        .json(
            PARTNER,
            &["pseudonymize", "--new-key", key.to_str().unwrap()],
        )
        .succeeds();
    let shots = screenshot_folder("desktop-e2e");
    let display = Display::start();
    steps(async {
        let started = Instant::now();
        let partner = App::launch(
            &tools,
            &display,
            "partner",
            &cluster.home(PARTNER),
            &shots,
            started,
        )
        .await;
        partner.unlock().await;
        partner.shot("send").await;

        // Pick the file in the real GTK dialog; the app scans it.
        partner.click("#pick-files").await;
        display.choose_in_dialog("Choose files to send", &sheet);
        partner
            .find("[data-testid=suggested-label] [data-label=highly-confidential]")
            .await;
        partner.shot("scanned").await;

        // The scan suggests a pseudonymised copy of the list: the panel's plan, then a real
        // copy made by the shell, previewed. The partner keeps the original after all.
        partner.click("[data-action=pseudonymise]").await;
        partner.find("[data-testid=pseudonymise-panel]").await;
        partner.shot("pseudonymise-plan").await;
        partner.click("#make-copy").await;
        partner.find("[data-testid=pseudonymise-preview]").await;
        partner.shot("pseudonymise-preview").await;
        let copy = cluster
            .home(PARTNER)
            .join("pseudonymised")
            .join("kyaukme-distribution-pseudonymised.csv");
        let copied = std::fs::read_to_string(&copy).expect("the pseudonymised copy");
        assert!(
            copied.lines().count() > 2000 && !copied.contains("MARKER-Nandar-4410"),
            "the copy must keep the rows and lose the names"
        );
        partner.click("#keep-original").await;
        partner.find("[data-action=pseudonymise]").await;
        partner.click("#review-next").await;
        // The suggested label is chosen already: keep it.
        partner
            .find("input[type=radio][value=highly-confidential]:checked")
            .await;
        partner.shot("label").await;
        partner.click("#label-next").await;

        // The IMO is a recipient by default; send.
        let imo_box = partner.find("input[name=recipient]:checked").await;
        let imo_id = imo_box.attr("value").await.unwrap().expect("a member id");
        let imo_card = cluster
            .sandbox
            .sealpost(IMO)
            .args(["whoami", "--json"])
            .succeeds()
            .json();
        assert_eq!(imo_id, crate::util::text(&imo_card, "member_id"));
        partner.click("#send").await;
        let result = partner.find("[data-testid=send-result]").await;
        let parcel = result
            .attr("data-parcel-id")
            .await
            .unwrap()
            .expect("the parcel id");
        partner.shot("sent").await;

        // The IMO's app: the parcel arrives with a verified sender and its label; open it.
        let imo = App::launch(&tools, &display, "imo", &cluster.home(IMO), &shots, started).await;
        imo.unlock().await;
        imo.go_to("inbox").await;
        let row = format!("[data-testid=inbox-row][data-parcel-id='{parcel}']");
        imo.sync_until(&row).await;
        imo.find(&format!("{row} [data-testid=sender-verified]"))
            .await;
        imo.find(&format!("{row} [data-label=highly-confidential]"))
            .await;
        imo.shot("inbox").await;
        imo.click(&format!("{row} .open-parcel")).await;
        // Highly confidential: the app asks before writing plaintext to disk.
        imo.find("[role=dialog]").await;
        imo.shot("confirm-open").await;
        imo.click("#confirm-open").await;
        imo.find(&format!(
            "[data-testid=open-report] [data-parcel-id='{parcel}'][data-outcome=opened]"
        ))
        .await;
        imo.shot("opened").await;
        let opened = cluster
            .home(IMO)
            .join("opened")
            .join(&parcel)
            .join("kyaukme-distribution.csv");
        assert_eq!(
            std::fs::read(&opened).expect("the opened file"),
            std::fs::read(&sheet).expect("the original"),
            "the IMO's copy differs from what the partner sent"
        );

        // The partner's sharing log shows the IMO opened it (the IMO's app sent the receipt
        // on its next sync, which opening asked for).
        partner.go_to("sent").await;
        let sent_row = format!("[data-testid=sent-row][data-parcel-id='{parcel}']");
        partner
            .sync_until(&format!("{sent_row} [data-receipt=opened]"))
            .await;
        partner.shot("receipt").await;

        // The partner asks for the parcel's deletion: the IMO's app erases its copy (and the
        // folder it opened it into) at its next sync and says so with a `deleted` receipt.
        partner
            .click(&format!("{sent_row} [data-action=delete]"))
            .await;
        partner.find("[role=dialog]").await;
        partner.shot("confirm-delete").await;
        partner.click("[role=dialog] #confirm-delete").await;
        partner.find("[data-testid=parcel-outcome]").await;
        // Both apps sync until the receipt is back: the request has to reach the relay, the
        // IMO's app, and its receipt the partner's.
        let deleted = format!("{sent_row} [data-receipt=deleted]");
        let deadline = Instant::now() + STEP;
        while partner.client.find(Locator::Css(&deleted)).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "partner: no deleted receipt after syncing both apps for {STEP:?}"
            );
            imo.click("#sync-now").await;
            partner.click("#sync-now").await;
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        partner.shot("deleted").await;
        assert!(
            !opened.exists(),
            "the IMO's opened copy {} is still there after the deletion",
            opened.display()
        );

        partner.burmese_at_200_percent("sent").await;

        imo.client.close().await.expect("end the IMO's session");
        partner
            .client
            .close()
            .await
            .expect("end the partner's session");
    });
}

/// An empty folder for a test's screenshots, under the integration tests' target folder.
fn screenshot_folder(name: &str) -> PathBuf {
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("create the screenshot folder");
    shots
}

/// Runs a test's WebDriver steps to the end (one thread: the steps are sequential).
fn steps(work: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(work);
}

/// Sets a form field's value by typing into it.
async fn type_into(app: &App, css: &str, text: &str) {
    app.find(css)
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("{}: cannot type into {css}: {e}", app.who));
}

#[test]
fn a_newcomer_joins_in_the_app_and_the_coordinator_approves_in_the_app() {
    let Some(tools) = Tools::find() else {
        return;
    };
    let cluster = Cluster::new();
    let newcomer_home = cluster.sandbox.home("newcomer");
    let shots = screenshot_folder("desktop-e2e-join");
    let display = Display::start();
    steps(async {
        let started = Instant::now();
        // The coordinator's app makes an invite: the code as text and as a QR code.
        let coordinator = App::launch(
            &tools,
            &display,
            "coordinator",
            &cluster.home(COORDINATOR),
            &shots,
            started,
        )
        .await;
        coordinator.unlock().await;
        coordinator.go_to("cluster").await;
        type_into(&coordinator, "#invite-org", "Karen Relief").await;
        coordinator.click("#create-invite").await;
        let code = coordinator
            .find("[data-testid=invite-code]")
            .await
            .text()
            .await
            .expect("the invite code");
        assert!(
            code.trim().starts_with("SP-"),
            "not an invite code: {code:?}"
        );
        coordinator.find("[data-testid=invite-qr]").await;
        coordinator.shot("invite").await;

        // A newcomer's app on a computer with no identity: onboarding.
        let newcomer = App::launch(
            &tools,
            &display,
            "newcomer",
            &newcomer_home,
            &shots,
            started,
        )
        .await;
        type_into(&newcomer, "#identity-name", "Naw Htoo").await;
        type_into(&newcomer, "#identity-org", "Karen Relief").await;
        newcomer.shot("create-identity").await;
        newcomer.click("#create-identity").await;
        // With an OS keyring the keys go there; without one the app asks for a passphrase.
        let deadline = Instant::now() + STEP;
        loop {
            if newcomer
                .client
                .find(Locator::Css("#invite-code"))
                .await
                .is_ok()
            {
                break;
            }
            if newcomer
                .client
                .find(Locator::Css("#identity-passphrase"))
                .await
                .is_ok()
            {
                type_into(&newcomer, "#identity-passphrase", PASSPHRASE).await;
                type_into(&newcomer, "#identity-passphrase-again", PASSPHRASE).await;
                newcomer.shot("identity-passphrase").await;
                newcomer.click("#create-identity").await;
                newcomer.find("#invite-code").await;
                break;
            }
            assert!(
                Instant::now() < deadline,
                "newcomer: no join step after creating the identity"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        type_into(&newcomer, "#invite-code", code.trim()).await;
        newcomer.shot("join").await;
        newcomer.click("#join-cluster").await;
        let fingerprint = newcomer
            .find("[data-testid=my-fingerprint]")
            .await
            .text()
            .await
            .expect("the newcomer's fingerprint");
        newcomer.find("[data-testid=join-waiting]").await;
        // The relay refuses a newcomer's login until the approval, yet it answered: the app
        // must say online (a newcomer told "offline" while the relay works goes looking for a
        // network problem that is not there).
        newcomer
            .find("[data-testid=sync-indicator][data-state=online]")
            .await;
        newcomer.shot("waiting").await;

        // The coordinator sees the request with the same fingerprint (compared by phone in
        // real life), approves it, and the new roster goes to the relay.
        let request = "[data-testid=request-row]";
        let deadline = Instant::now() + STEP;
        while coordinator
            .client
            .find(Locator::Css(request))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "coordinator: the join request never showed"
            );
            coordinator.click("#refresh-requests").await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let row_text = coordinator.find(request).await.text().await.unwrap();
        assert!(
            row_text.contains(fingerprint.trim()),
            "the request shows another fingerprint than the newcomer's {fingerprint:?}: {row_text}"
        );
        coordinator.shot("request").await;
        coordinator
            .click(&format!("{request} [data-action=approve]"))
            .await;
        coordinator.find("[role=dialog]").await;
        coordinator.shot("confirm-approve").await;
        coordinator.click("[role=dialog] #confirm-approve").await;
        coordinator.find("[data-testid=roster-changed]").await;
        coordinator.shot("approved").await;

        // The newcomer's app notices the roster that lists them and shows the screens.
        let deadline = Instant::now() + STEP;
        while newcomer
            .client
            .find(Locator::Css("nav [data-screen=send]"))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "newcomer: never admitted");
            if let Ok(check) = newcomer.client.find(Locator::Css("#check-approval")).await {
                let _ = check.click().await;
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        newcomer.shot("admitted").await;
        newcomer.go_to("cluster").await;
        newcomer
            .find("[data-testid=member-row] [data-testid=safety-number]")
            .await;
        newcomer.shot("members").await;
        newcomer.go_to("settings").await;
        newcomer.find("[data-testid=my-fingerprint]").await;
        newcomer.shot("settings").await;
        // The new member reports a concern from the app; the coordinator's app receives it
        // and answers; the reporter's app shows the answer.
        newcomer.go_to("concerns").await;
        type_into(
            &newcomer,
            "#concern-note",
            "A printed list was left at the distribution point.",
        )
        .await;
        newcomer.click("#report-concern").await;
        newcomer.find("[data-testid=concern-reported]").await;
        newcomer.click("#sync-now").await;
        coordinator.go_to("concerns").await;
        let received = coordinator
            .sync_until("[data-testid=concern-row][data-status=open]")
            .await;
        assert!(
            received.text().await.unwrap().contains("Naw Htoo"),
            "the coordinator sees who reported it"
        );
        coordinator.shot("concern-received").await;
        let concern = received.attr("data-parcel-id").await.unwrap().unwrap();
        coordinator
            .click(&format!(
                "#concern-status-{concern} option[value=investigating]"
            ))
            .await;
        coordinator
            .click("[data-testid=concern-row] [data-action=update-concern]")
            .await;
        coordinator.find("[data-testid=concern-updated]").await;
        coordinator.click("#sync-now").await;
        newcomer
            .sync_until("[data-testid=concern-row][data-status=investigating]")
            .await;
        newcomer.shot("concern-answered").await;

        // The widest screens, in Burmese and at 200 % zoom.
        coordinator.go_to("cluster").await;
        coordinator.burmese_at_200_percent("cluster").await;
        newcomer.go_to("cluster").await;
        newcomer.burmese_at_200_percent("members").await;

        newcomer
            .client
            .close()
            .await
            .expect("end the newcomer's session");
        coordinator
            .client
            .close()
            .await
            .expect("end the coordinator's session");
    });
}

#[test]
fn rights_requests_products_and_the_recovery_key_in_the_desktop_app() {
    let Some(tools) = Tools::find() else {
        return;
    };
    let cluster = Cluster::new();
    let list = beneficiary_list(
        &cluster.sandbox,
        "to-send/shan-october.csv",
        "MARKER-Product-Source-7731",
    );
    let parcel = cluster.send(PARTNER, &[&list], "highly-confidential");
    let figures = cluster.sandbox.write(
        "products/shan-township-figures.csv",
        "state,township,households_reached\nShan (North),Kyaukme,1200\nShan (North),Hsipaw,860\n",
    );
    let partner_id = crate::util::text(
        &cluster
            .sandbox
            .sealpost(PARTNER)
            .args(["whoami", "--json"])
            .succeeds()
            .json(),
        "member_id",
    )
    .to_owned();
    let key_file = cluster.sandbox.path("usb-stick/cluster-recovery-key.age");
    std::fs::create_dir_all(key_file.parent().unwrap()).unwrap();
    const KEY_PASSPHRASE: &str = "kept apart from the stick";
    let shots = screenshot_folder("desktop-e2e-rights");
    let display = Display::start();
    steps(async {
        let started = Instant::now();
        // The IMO's app: a product made from the partner's parcel, to that partner alone.
        let imo = App::launch(&tools, &display, "imo", &cluster.home(IMO), &shots, started).await;
        imo.unlock().await;
        imo.go_to("inbox").await;
        let row = format!("[data-testid=inbox-row][data-parcel-id='{parcel}']");
        imo.sync_until(&row).await;
        imo.click(&format!("{row} .select-parcel")).await;
        imo.click("[data-testid=product-open]").await;
        imo.find(&format!(
            "[data-testid=product-sources] [data-parcel-id='{parcel}']"
        ))
        .await;
        imo.find(&format!(
            "[data-testid=product-recipients] [data-member-id='{partner_id}']"
        ))
        .await;
        imo.shot("product-panel").await;
        imo.click("[data-testid=product-pick]").await;
        display.choose_in_dialog("Choose files to send", &figures);
        imo.click("#label-next").await;
        imo.find("[data-testid=product-label]").await;
        imo.shot("product-ready").await;
        imo.click("[data-testid=product-publish]").await;
        let product = imo
            .find("[data-testid=product-published]")
            .await
            .attr("data-parcel-id")
            .await
            .unwrap()
            .expect("the product's id");
        imo.shot("product-published").await;

        // The partner's app: the product is listed under the parcel it was made from; then
        // an access request about that parcel.
        let partner = App::launch(
            &tools,
            &display,
            "partner",
            &cluster.home(PARTNER),
            &shots,
            started,
        )
        .await;
        partner.unlock().await;
        partner.go_to("sent").await;
        partner
            .sync_until(&format!(
                "[data-testid=sent-row][data-parcel-id='{parcel}'] \
                 [data-testid=product][data-parcel-id='{product}']"
            ))
            .await;
        partner.shot("sent-with-product").await;
        partner.go_to("rights").await;
        type_into(
            &partner,
            "#rights-access-note",
            "Every copy you hold of our October list, and what was made from it.",
        )
        .await;
        partner
            .click(&format!("#rights-about option[value='{parcel}']"))
            .await;
        partner.click("#rights-request-access").await;
        partner.find("[data-testid=rights-access-sent]").await;
        let made = "[data-testid=rights-row][data-direction=made][data-right=access]";
        let request = partner
            .find(made)
            .await
            .attr("data-request-id")
            .await
            .unwrap()
            .expect("the request's id");
        partner.shot("access-requested").await;

        // The IMO's app receives it and answers; the partner's app shows the answer.
        imo.go_to("rights").await;
        let received = format!(
            "[data-testid=rights-row][data-request-id='{request}'][data-direction=received]"
        );
        imo.sync_until(&received).await;
        imo.click(&format!(
            "#rights-answer-status-{request} option[value=in-progress]"
        ))
        .await;
        type_into(
            &imo,
            &format!("#rights-answer-note-{request}"),
            "Collecting the copies from the 4W database.",
        )
        .await;
        imo.click(&format!("{received} [data-action=answer-request]"))
            .await;
        imo.find("[data-testid=rights-answer-sent]").await;
        imo.shot("answered").await;
        partner
            .sync_until(&format!(
                "[data-testid=rights-row][data-request-id='{request}'][data-status=in-progress]"
            ))
            .await;
        partner.shot("answer-seen").await;

        // The coordinator's app makes the cluster recovery key, saved through the native
        // dialog; the next roster names it.
        let coordinator = App::launch(
            &tools,
            &display,
            "coordinator",
            &cluster.home(COORDINATOR),
            &shots,
            started,
        )
        .await;
        coordinator.unlock().await;
        coordinator.go_to("cluster").await;
        coordinator
            .find("[data-testid=cluster-recovery-status][data-recovery=off]")
            .await;
        type_into(&coordinator, "#recovery-passphrase", KEY_PASSPHRASE).await;
        type_into(&coordinator, "#recovery-passphrase-again", KEY_PASSPHRASE).await;
        coordinator.shot("recovery-key").await;
        // In one full run of the suite on a loaded machine, no dialog came in 90 s after
        // "Create" was clicked, the form filled in; alone, the test passed. So: press again
        // if no dialog comes within a while (a second press while the first one's dialog is
        // on its way does nothing: the button is disabled while busy), and say what the
        // section showed each time.
        let title = "Save the cluster recovery key";
        let mut dialog = None;
        for press in 1..=3 {
            let create = coordinator.find("[data-testid=recovery-key-create]").await;
            if let Err(e) = create.click().await {
                // A press again may find the button disabled: the first one is being answered.
                assert!(press > 1, "coordinator: cannot click Create: {e}");
            }
            dialog = display.find_dialog(title, Duration::from_secs(30));
            if dialog.is_some() {
                break;
            }
            coordinator
                .shot(&format!("recovery-key-no-dialog-{press}"))
                .await;
            let section = coordinator.find("[data-testid=recovery-key-section]").await;
            eprintln!(
                "coordinator: no dialog {title:?} 30 s after press {press}; the section says: {}",
                section.text().await.unwrap_or_default()
            );
        }
        let dialog = dialog.unwrap_or_else(|| panic!("no dialog titled {title:?} after 3 presses"));
        display.answer_dialog(&dialog, &key_file);
        coordinator.find("[data-testid=recovery-key-public]").await;
        coordinator
            .find("[data-testid=cluster-recovery-status][data-recovery=on]")
            .await;
        coordinator.shot("recovery-key-named").await;
        partner.burmese_at_200_percent("rights").await;
        coordinator.burmese_at_200_percent("cluster").await;

        for app in [coordinator, partner, imo] {
            app.client.close().await.expect("end the session");
        }
    });

    // The whole chain: the partner's app seals to the key the coordinator's app made, and the
    // key file (under the passphrase typed in the app) opens what the IMO received.
    assert!(
        std::fs::read(&key_file)
            .unwrap()
            .starts_with(b"age-encryption.org/v1\n-> scrypt "),
        "the key file is protected by the passphrase"
    );
    cluster.json(PARTNER, &["roster", "pull"]).succeeds();
    let later = beneficiary_list(&cluster.sandbox, "later.csv", "MARKER-After-Key");
    let sealed = cluster.send(PARTNER, &[&later], "highly-confidential");
    let passphrase = cluster
        .sandbox
        .write("key-passphrase.txt", format!("{KEY_PASSPHRASE}\n"));
    let out = cluster.sandbox.path("recovered");
    let recovered = crate::recovery::recover(
        &cluster,
        &key_file,
        &passphrase,
        &cluster.home(PARTNER).join("vault"),
        &out,
    )
    .json();
    let outcome = recovered["parcels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["parcel_id"] == sealed.as_str())
        .unwrap_or_else(|| panic!("{sealed} not in {recovered}"))
        .clone();
    assert_eq!(outcome["outcome"], "recovered", "{recovered}");
    assert_eq!(
        std::fs::read(out.join(&sealed).join("later.csv")).unwrap(),
        std::fs::read(&later).unwrap()
    );
}
