//! The command line: arguments, credentials, `ping`, the `sandbox` command, the clock, and
//! what never appears in any output.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::{Case, Emulator};

#[test]
fn bad_arguments_exit_2() {
    Case::new()
        .sources(1)
        .args(["--delimiter", "x"])
        .run()
        .expect_code(2)
        .expect_stderr("--delimiter");
    Case::new()
        .sources(1)
        .cmd("import")
        .args(["--sandbox", "--rate", "0"])
        .run()
        .expect_code(2)
        .expect_stderr("--rate");
    Case::new()
        .sources(1)
        .cmd("import")
        .args(["--region", "au", "--sandbox-faults", "error=0.1"])
        .env("IVVY_API_KEY", "k")
        .env("IVVY_API_SECRET", "s")
        .run()
        .expect_code(2)
        .expect_stderr("--sandbox");
    Case::new()
        .sources(1)
        .args(["--no-such-flag"])
        .run()
        .expect_code(2);
}

#[test]
fn fatal_error_with_json_prints_one_error_object() {
    let o = Case::new()
        .fixture("no_kind.csv")
        .args(["--json"])
        .run()
        .expect_code(2);
    let v = o.json();
    assert_eq!(v["exit_code"], 2);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("--kind"),
        "{v}"
    );
    assert_eq!(v["error"]["kind"], "layout");
}

#[test]
fn ping_command_against_the_sandbox_succeeds() {
    let o = Case::new().cmd("ping").sandbox("").run().expect_code(0);
    assert!(o.stdout.contains("clock skew"), "{}", o.stdout);
}

#[test]
fn ping_against_an_emulator_reports_json() {
    let case = Case::new().cmd("ping").emulator("").args(["--json"]);
    let v = case.run().expect_code(0).json();
    assert_eq!(v["ping"]["base_url"], case.emu().base_url());
    assert!(
        v["ping"]["clock_skew_secs"].as_i64().unwrap().abs() <= 2,
        "{v}"
    );
    assert_eq!(case.log().arrivals.len(), 1);
    assert_eq!(case.log().refused, 0);
}

#[test]
fn ping_with_the_wrong_secret_names_the_credentials() {
    let case = Case::new()
        .cmd("ping")
        .emulator("")
        .env("IVVY_API_SECRET", "wrong");
    case.run()
        .expect_code(2)
        .expect_stderr("IVVY_API_KEY")
        .expect_stderr("IVVY_API_SECRET");
    assert_eq!(case.log().refused, 1);
}

#[test]
fn server_clock_400_seconds_off_is_refused_as_stale_and_names_the_clock() {
    for shift in [400, -400] {
        let case = Case::new().cmd("ping").emulator("");
        case.emu().shift_clock(shift);
        case.run()
            .expect_code(2)
            .expect_stderr("stale")
            .expect_stderr("clock");
        assert_eq!(case.log().refused, 1, "shift {shift}");

        let import = Case::new().sources(3).emulator("").args(["--rate", "100"]);
        import.emu().shift_clock(shift);
        import.run().expect_code(2).expect_stderr("clock");
        assert_eq!(import.store().creates, 0, "nothing sent with a stale clock");
    }
}

#[test]
fn server_clock_60_seconds_off_still_works() {
    for shift in [60, -60] {
        let ping = Case::new().cmd("ping").emulator("");
        ping.emu().shift_clock(shift);
        ping.run().expect_code(0);
        let import = Case::new().sources(3).emulator("").args(["--rate", "100"]);
        import.emu().shift_clock(shift);
        import.run().expect_code(0).expect_all("created");
        assert_eq!(import.log().refused, 0, "shift {shift}");
    }
}

#[test]
fn ping_reports_the_skew_of_a_server_clock_that_differs() {
    for shift in [60i64, -60] {
        let case = Case::new().cmd("ping").emulator("").args(["--json"]);
        case.emu().shift_clock(shift);
        let v = case.run().expect_code(0).json();
        let skew = v["ping"]["clock_skew_secs"].as_i64().unwrap();
        assert!((skew - shift).abs() <= 2, "shift {shift}: skew {skew}");
    }
}

#[test]
fn secret_never_appears_in_any_output() {
    let secret = "S3CRET-never-shown-4242";
    let case = Case::new()
        .sources(3)
        .emulator("")
        .args(["--rate", "100"])
        .env("IVVY_API_SECRET", secret);
    // The wrong secret: the run stops with an auth message.
    let o = case.run().expect_code(2).expect_stderr("credentials");
    let mut everything = o.stdout + &o.stderr;
    everything += &every_file(case.dir());
    everything += &every_file(case.xdg_dir());
    assert!(!everything.contains(secret));

    // And with the right secret, nothing shows it either.
    let case = Case::new()
        .sources(3)
        .emulator("")
        .args(["--rate", "100", "--json"]);
    let (_, right) = case.emu().key_and_secret();
    let o = case.run().expect_code(0);
    let mut everything = o.stdout + &o.stderr;
    everything += &every_file(case.dir());
    everything += &every_file(case.xdg_dir());
    assert!(!everything.contains(&right));
}

/// The text of every file under `dir`, the state folders included.
fn every_file(dir: &std::path::Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            text += &every_file(&path);
        } else {
            text += &String::from_utf8_lossy(&std::fs::read(&path).unwrap());
        }
    }
    text
}

#[test]
fn base_url_must_be_https_unless_loopback() {
    Case::new()
        .sources(1)
        .cmd("import")
        .args(["--base-url", "http://api.example.com"])
        .env("IVVY_API_KEY", "k")
        .env("IVVY_API_SECRET", "s")
        .run()
        .expect_code(2)
        .expect_stderr("https");
    Case::new()
        .sources(1)
        .cmd("import")
        .args(["--region", "au"])
        .run()
        .expect_code(2)
        .expect_stderr("IVVY_API_SECRET");
    Case::new()
        .sources(1)
        .cmd("import")
        .run()
        .expect_code(2)
        .expect_stderr("--sandbox");
}

/// A server process that must not outlive its test, whatever the test's end.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ivvy-import sandbox --port 0 ARGS…` running, and its stdout lines as they come.
struct Served {
    _child: KillOnDrop,
    lines: mpsc::Receiver<String>,
}

impl Served {
    fn start(case: &Case) -> Served {
        let mut child = KillOnDrop(
            case.command(&[])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let stdout = child.0.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Served {
            _child: child,
            lines,
        }
    }

    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the sandbox prints its banner")
    }

    /// The banner: every line up to and including `state: URL`.
    fn banner(&self) -> Vec<String> {
        let mut lines = vec![self.next_line()];
        while !lines.last().unwrap().starts_with("state: ") {
            lines.push(self.next_line());
        }
        lines
    }
}

fn banner_value<'a>(banner: &'a [String], prefix: &str) -> Option<&'a str> {
    banner.iter().find_map(|l| l.strip_prefix(prefix))
}

fn sandbox_state(url: &str) -> serde_json::Value {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let get = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap()
                .get(format!("{url}/_sandbox/state"))
                .send();
            get.await.unwrap().json().await.unwrap()
        })
}

#[test]
fn sandbox_command_serves_ping_and_its_state_endpoint() {
    let served = Served::start(
        &Case::new()
            .cmd("sandbox")
            .args(["--port", "0", "--key", "demo-key"])
            .env("IVVY_API_SECRET", "demo-secret"),
    );
    let banner = served.banner();
    let url = banner_value(&banner, "listening on ")
        .expect("the banner names the address")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(banner_value(&banner, "IVVY_API_KEY="), Some("demo-key"));
    Case::new()
        .cmd("ping")
        .args(["--base-url", &url, "--json"])
        .env("IVVY_API_KEY", "demo-key")
        .env("IVVY_API_SECRET", "demo-secret")
        .run()
        .expect_code(0);
    let state = sandbox_state(&url);
    assert_eq!(state["requests"], 1);
    assert_eq!(
        state["store"]["sources"].as_object().unwrap().len(),
        3,
        "the built-in sources"
    );
}

#[test]
fn sandbox_command_prints_the_secret_it_made_up_and_accepts_it() {
    let served = Served::start(&Case::new().cmd("sandbox").args(["--port", "0"]));
    let banner = served.banner();
    let url = banner_value(&banner, "listening on ").unwrap();
    let key = banner_value(&banner, "IVVY_API_KEY=").expect("a generated key");
    let secret = banner_value(&banner, "IVVY_API_SECRET=").expect("a generated secret");
    Case::new()
        .cmd("ping")
        .args(["--base-url", url])
        .env("IVVY_API_KEY", key)
        .env("IVVY_API_SECRET", secret)
        .run()
        .expect_code(0);
}

#[test]
fn sandbox_command_never_echoes_a_secret_it_was_given() {
    let served = Served::start(
        &Case::new()
            .cmd("sandbox")
            .args(["--port", "0", "--key", "demo-key"])
            .env("IVVY_API_SECRET", "demo-secret"),
    );
    let banner = served.banner();
    assert!(
        banner.iter().all(|l| !l.contains("demo-secret")),
        "a given secret is not echoed: {banner:?}"
    );
}

#[test]
fn a_child_that_outlives_its_timeout_is_killed_and_fails_the_test() {
    // The emulator answers after 5 s; the case allows 1 s.
    let emu = Emulator::start("latency-ms=5000");
    let (key, secret) = emu.key_and_secret();
    let case = Case::new()
        .cmd("ping")
        .args(["--base-url", &emu.base_url()])
        .env("IVVY_API_KEY", &key)
        .env("IVVY_API_SECRET", &secret)
        .timeout(Duration::from_secs(1));
    let started = std::time::Instant::now();
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case.run()));
    let message = failed.expect_err("the run is cut short");
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("still running"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn validate_accepts_import_flags_and_says_which_it_ignores() {
    Case::new()
        .sources(3)
        .cmd("validate")
        .args(["--bulk", "--rate", "3", "--match-by-name"])
        .run()
        .expect_code(0)
        .expect_all("valid")
        .expect_stderr("--bulk ignored");
}

#[test]
fn ping_shows_the_skew_of_a_stale_refusal_too() {
    let case = Case::new().cmd("ping").emulator("");
    case.emu().shift_clock(-400);
    let o = case.run().expect_code(2).expect_stderr("stale");
    // The server's Date header counts whole seconds: the skew reads 400 s give or take two, as the other skew tests allow.
    let skew: i64 = o
        .stderr
        .split("clock skew ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no clock skew in {:?}", o.stderr));
    assert!((-402..=-398).contains(&skew), "{}", o.stderr);
}

#[test]
fn a_base_url_copied_with_its_api_path_is_taken_as_its_host() {
    let emu = crate::support::Emulator::start("");
    let (key, secret) = emu.key_and_secret();
    let url = format!("{}/api/1.0/", emu.base_url());
    Case::new()
        .cmd("ping")
        .args(["--base-url", &url])
        .env("IVVY_API_KEY", &key)
        .env("IVVY_API_SECRET", &secret)
        .run()
        .expect_code(0);
}

#[test]
fn results_into_a_folder_that_does_not_exist_are_refused_before_reading() {
    Case::new()
        .sources(2)
        .cmd("validate")
        .args(["-o", "nosuch/out.csv"])
        .run()
        .expect_code(2)
        .expect_stderr("the folder nosuch does not exist");
}
