//! Nothing lost, nothing twice, under the faults a user can cause: hostile answers, dead
//! servers, redirects, signals, files that alias each other. Every server here is a loopback
//! server the test starts itself.

use std::collections::HashMap;
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::support::{Line, binary, binary_in, finish, parse_results, wait_for};

fn bin() -> Command {
    let mut c = binary();
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// [`bin`] run in `dir`, its state folders there.
fn bin_in(dir: &Path) -> Command {
    let mut c = binary_in(dir);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

fn run(c: &mut Command, limit: Duration) -> Output {
    finish(c.spawn().expect("the binary starts"), limit)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sources_csv(dir: &Path, rows: usize) -> PathBuf {
    let mut s = String::from("name,cost\n");
    for i in 0..rows {
        s.push_str(&format!("Source {i:04},{i}\n"));
    }
    let p = dir.join("sources.csv");
    std::fs::write(&p, s).unwrap();
    p
}

/// A loopback server answering every API call with what `answer` says; it counts requests.
struct Hostile {
    addr: SocketAddr,
    hits: Arc<AtomicU64>,
    paths: Arc<Mutex<HashMap<String, u64>>>,
    _rt: tokio::runtime::Runtime,
}

type Answer = Arc<dyn Fn(&str, &serde_json::Value) -> Response<Full<Bytes>> + Send + Sync>;

impl Hostile {
    fn start(answer: Answer) -> Hostile {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicU64::new(0));
        let paths = Arc::new(Mutex::new(HashMap::new()));
        let (h, p) = (hits.clone(), paths.clone());
        rt.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (answer, h, p) = (answer.clone(), h.clone(), p.clone());
                tokio::spawn(async move {
                    let svc =
                        hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let (answer, h, p) = (answer.clone(), h.clone(), p.clone());
                            async move {
                                h.fetch_add(1, Ordering::SeqCst);
                                let uri = req.uri().to_string();
                                *p.lock().unwrap().entry(uri.clone()).or_default() += 1;
                                let body = req
                                    .into_body()
                                    .collect()
                                    .await
                                    .map(http_body_util::Collected::to_bytes);
                                let json = body
                                    .ok()
                                    .and_then(|b| serde_json::from_slice(&b).ok())
                                    .unwrap_or(serde_json::Value::Null);
                                Ok::<_, std::convert::Infallible>(answer(&uri, &json))
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Hostile {
            addr,
            hits,
            paths,
            _rt: rt,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }

    fn writes(&self) -> u64 {
        self.paths
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.contains("addOrUpdate"))
            .map(|(_, n)| n)
            .sum()
    }
}

fn json(status: u16, v: &serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(v.to_string())))
        .unwrap()
}

fn empty_list() -> Response<Full<Bytes>> {
    json(
        200,
        &serde_json::json!({"meta": {"totalResults": 0, "start": 0, "perPage": 100, "count": 0}, "results": []}),
    )
}

fn import_against(server: &str, dir: &Path, file: &Path, extra: &[&str]) -> Command {
    let mut c = bin_in(dir);
    c.arg("import")
        .arg(file)
        .args(["--base-url", server, "--rate", "1000", "--timeout", "2"])
        .args(extra)
        .env("IVVY_API_KEY", "key")
        .env("IVVY_API_SECRET", "secret-never-shown");
    c
}

fn results(path: &Path) -> Vec<Line> {
    parse_results(&std::fs::read_to_string(path).unwrap()).1
}

#[test]
fn a_redirect_is_never_followed_and_stops_the_run() {
    let elsewhere = Hostile::start(Arc::new(|_, _| {
        json(200, &serde_json::json!({"success": true, "id": 1}))
    }));
    let target = elsewhere.url();
    let server = Hostile::start(Arc::new(move |uri, _| {
        if uri.contains("List") {
            return empty_list();
        }
        Response::builder()
            .status(307)
            .header("Location", format!("{target}{uri}"))
            .body(Full::new(Bytes::new()))
            .unwrap()
    }));
    let dir = tempfile::tempdir().unwrap();
    let file = sources_csv(dir.path(), 5);
    let o = run(
        &mut import_against(&server.url(), dir.path(), &file, &[]),
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("redirect"), "{}", stderr(&o));
    assert_eq!(
        elsewhere.hits(),
        0,
        "a signed request followed the redirect"
    );
    let lines = results(&dir.path().join("sources.results.csv"));
    assert_eq!(lines.len(), 5, "every row has its line");
}

#[test]
fn a_huge_retry_after_is_capped_and_does_not_panic() {
    let server = Hostile::start(Arc::new(|uri, _| {
        if uri.contains("List") {
            return empty_list();
        }
        Response::builder()
            .status(429)
            .header("Retry-After", "1e300")
            .header("Content-Type", "application/json")
            .body(Full::new(Bytes::from(
                r#"{"errorCode":429,"message":"Too Many Requests"}"#,
            )))
            .unwrap()
    }));
    let dir = tempfile::tempdir().unwrap();
    let file = sources_csv(dir.path(), 2);
    let started = Instant::now();
    let o = run(
        &mut import_against(
            &server.url(),
            dir.path(),
            &file,
            &[
                "--max-wait",
                "0.2",
                "--retries",
                "2",
                "--give-up-after",
                "3",
            ],
        ),
        Duration::from_secs(30),
    );
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        o.status.code() == Some(1) || o.status.code() == Some(2),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "waits were not capped"
    );
    assert_eq!(results(&dir.path().join("sources.results.csv")).len(), 2);
}

#[test]
fn a_dead_server_ends_the_run_within_give_up_after() {
    let server = Hostile::start(Arc::new(|uri, _| {
        if uri.contains("List") {
            return empty_list();
        }
        json(
            500,
            &serde_json::json!({"errorCode": 500, "message": "Internal Server Error"}),
        )
    }));
    let dir = tempfile::tempdir().unwrap();
    let file = sources_csv(dir.path(), 200);
    let started = Instant::now();
    let o = run(
        &mut import_against(
            &server.url(),
            dir.path(),
            &file,
            &[
                "--give-up-after",
                "2",
                "--retries",
                "50",
                "--concurrency",
                "4",
            ],
        ),
        Duration::from_secs(60),
    );
    let took = started.elapsed();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--resume"), "{err}");
    // --give-up-after plus one request timeout (2 s), with room for a loaded machine.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert!(server.writes() < 200 * 5, "{} writes", server.writes());
    let lines = results(&dir.path().join("sources.results.csv"));
    assert_eq!(lines.len(), 200);
    assert!(lines.iter().any(|l| l["status"] == "skipped"));
}

#[test]
fn a_list_that_never_ends_is_refused() {
    // Every page claims many more records and repeats the same ids.
    let server = Hostile::start(Arc::new(|uri, body| {
        if uri.contains("List") {
            let start = body
                .get("start")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            return json(
                200,
                &serde_json::json!({"meta": {"totalResults": 1_000_000, "start": start, "perPage": 2, "count": 2},
                    "results": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]}),
            );
        }
        json(200, &serde_json::json!({"success": true, "id": 9}))
    }));
    let dir = tempfile::tempdir().unwrap();
    let file = sources_csv(dir.path(), 3);
    let o = run(
        &mut import_against(&server.url(), dir.path(), &file, &[]),
        Duration::from_secs(30),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("does not advance"), "{err}");
    assert!(server.hits() < 50, "{} requests", server.hits());
    assert_eq!(server.writes(), 0);
}

#[test]
fn the_results_file_may_not_be_the_input_by_any_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let file = sources_csv(dir.path(), 3);
    let before = std::fs::read(&file).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(&file, dir.path().join("link.csv")).unwrap();
    std::fs::hard_link(&file, dir.path().join("hard.csv")).unwrap();
    for out in [
        "./sources.csv",
        "sub/../sources.csv",
        "link.csv",
        "hard.csv",
    ] {
        let o = run(
            bin_in(dir.path()).args(["validate", "sources.csv", "-o", out]),
            Duration::from_secs(30),
        );
        assert_eq!(o.status.code(), Some(2), "-o {out}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("would overwrite the input"),
            "{}",
            stderr(&o)
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            before,
            "-o {out} touched the input"
        );
    }
    // One input's default output is another input.
    std::fs::copy(&file, dir.path().join("sources.results.csv")).unwrap();
    let o = run(
        bin_in(dir.path()).args(["validate", "sources.csv", "sources.results.csv"]),
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn out_of_range_numbers_are_refused_at_parse_time() {
    for (flag, value) in [
        ("--rate", "0"),
        ("--rate", "1e-300"),
        ("--rate", "1e10"),
        ("--concurrency", "0"),
        ("--timeout", "1e300"),
    ] {
        let o = run(
            bin().args(["import", "x.csv", "--sandbox", flag, value]),
            Duration::from_secs(30),
        );
        assert_eq!(o.status.code(), Some(2), "{flag} {value}");
        let err = stderr(&o);
        assert!(err.contains(flag) && !err.contains("panicked"), "{err}");
    }
}

#[test]
fn base_urls_with_passwords_queries_or_fragments_are_refused_without_echoing_the_password() {
    for url in [
        "https://user:hunter2@api.example.com",
        "https://api.example.com/?x=1",
        "https://api.example.com/#frag",
    ] {
        let o = run(
            bin()
                .args(["ping", "--base-url", url])
                .env("IVVY_API_KEY", "k")
                .env("IVVY_API_SECRET", "s"),
            Duration::from_secs(30),
        );
        assert_eq!(o.status.code(), Some(2), "{url}");
        assert!(!stderr(&o).contains("hunter2"), "{}", stderr(&o));
    }
}

#[test]
fn a_secret_with_a_control_character_is_refused_clearly() {
    let o = run(
        bin()
            .args(["ping", "--base-url", "https://api.example.com"])
            .env("IVVY_API_KEY", "key")
            .env("IVVY_API_SECRET", "sec\u{7}ret"),
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("IVVY_API_SECRET") && err.contains("control character"),
        "{err}"
    );
    assert!(!err.contains("sec\u{7}ret"));
}

/// Starts an emulator as its own process and returns it with its URL. Its output is
/// drained on a thread, so it never blocks on a full pipe.
fn emulator(faults: &str) -> (Child, String) {
    let mut c = bin();
    c.args(["sandbox", "--key", "k", "--secret", "s"])
        .stderr(Stdio::null());
    if !faults.is_empty() {
        c.args(["--faults", faults]);
    }
    let mut child = c.spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the emulator starts");
    let url = first.rsplit(' ').next().unwrap().to_string();
    (child, url)
}

fn import_emulator(url: &str, dir: &Path, extra: &[&str]) -> Command {
    let mut c = binary_in(dir);
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .args(["import", "sources.csv", "--base-url", url])
        .args(extra)
        .env("IVVY_API_KEY", "k")
        .env("IVVY_API_SECRET", "s");
    c
}

/// The emulator's `GET /_sandbox/state`.
fn sandbox_state(url: &str) -> serde_json::Value {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    use std::io::Write;
    write!(s, "GET /_sandbox/state HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    serde_json::from_str(body).unwrap()
}

/// Records the emulator has created so far.
fn creates(url: &str) -> u64 {
    sandbox_state(url)["store"]["creates"].as_u64().unwrap_or(0)
}

fn stored_names(url: &str) -> Vec<String> {
    let v = sandbox_state(url);
    v["store"]["sources"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sigterm_stops_like_ctrl_c_and_every_row_gets_a_line() {
    let (mut sb, url) = emulator("");
    let dir = tempfile::tempdir().unwrap();
    sources_csv(dir.path(), 200);
    let child = import_emulator(&url, dir.path(), &["--rate", "40"])
        .spawn()
        .unwrap();
    wait_for("10 creates", Duration::from_secs(30), || {
        creates(&url) >= 10
    });
    unsafe_kill(child.id(), "TERM");
    let o = finish(child, Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
    let lines = results(&dir.path().join("sources.results.csv"));
    assert_eq!(lines.len(), 200);
    let created = lines.iter().filter(|l| l["status"] == "created").count();
    assert!(created > 0 && created < 200, "{created} created");
    // Resume finishes the job, nothing twice.
    let o = run(
        &mut import_emulator(&url, dir.path(), &["--rate", "1000", "--resume"]),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names = stored_names(&url);
    for i in 0..200 {
        let n = format!("Source {i:04}");
        assert_eq!(names.iter().filter(|s| **s == n).count(), 1, "{n}");
    }
    let _ = sb.kill();
}

fn unsafe_kill(pid: u32, signal: &str) {
    Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
}

#[test]
fn a_second_run_on_the_same_results_file_is_refused_while_the_first_runs() {
    let (mut sb, url) = emulator("");
    let dir = tempfile::tempdir().unwrap();
    sources_csv(dir.path(), 100);
    let first = import_emulator(&url, dir.path(), &["--rate", "20"])
        .spawn()
        .unwrap();
    // The first run holds the lock once it sends.
    wait_for("a create", Duration::from_secs(30), || creates(&url) >= 1);
    let second = run(
        &mut import_emulator(&url, dir.path(), &["--rate", "50"]),
        Duration::from_secs(30),
    );
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("another ivvy-import (pid"),
        "{}",
        stderr(&second)
    );
    let o = finish(first, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stored_names(&url).len(),
        100 + 3,
        "100 rows and the 3 built-in sources"
    );
    let _ = sb.kill();
}

#[test]
fn a_damaged_journal_stops_the_resume_and_says_what_to_do() {
    let (mut sb, url) = emulator("");
    let dir = tempfile::tempdir().unwrap();
    sources_csv(dir.path(), 50);
    let child = import_emulator(&url, dir.path(), &["--rate", "40"])
        .spawn()
        .unwrap();
    wait_for("5 creates", Duration::from_secs(30), || creates(&url) >= 5);
    unsafe_kill(child.id(), "KILL");
    let _ = finish(child, Duration::from_secs(30));
    let jpath = dir.path().join("sources.results.csv.journal");
    let text = std::fs::read_to_string(&jpath).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 3, "the journal holds entries: {text}");
    lines.insert(2, "garbage");
    std::fs::write(&jpath, lines.join("\n") + "\n").unwrap();
    let o = run(
        &mut import_emulator(&url, dir.path(), &["--rate", "1000", "--resume"]),
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--reconcile-by-name"), "{}", stderr(&o));
    // With the flag, the resume finishes without duplicates.
    let o = run(
        &mut import_emulator(
            &url,
            dir.path(),
            &["--rate", "1000", "--resume", "--reconcile-by-name"],
        ),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names = stored_names(&url);
    for i in 0..50 {
        let n = format!("Source {i:04}");
        assert_eq!(names.iter().filter(|s| **s == n).count(), 1, "{n}");
    }
    let _ = sb.kill();
}

#[test]
fn resuming_a_changed_input_stops_before_any_request() {
    let (mut sb, url) = emulator("");
    let dir = tempfile::tempdir().unwrap();
    let file = sources_csv(dir.path(), 20);
    let child = import_emulator(&url, dir.path(), &["--rate", "20"])
        .spawn()
        .unwrap();
    wait_for("3 creates", Duration::from_secs(30), || creates(&url) >= 3);
    unsafe_kill(child.id(), "KILL");
    let _ = finish(child, Duration::from_secs(30));
    // A row inserted at the top shifts every row.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("name,cost\n", "name,cost\nInserted,1\n", 1),
    )
    .unwrap();
    let before = stored_names(&url).len();
    let o = run(
        &mut import_emulator(&url, dir.path(), &["--rate", "1000", "--resume"]),
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the input changed since that run"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stored_names(&url).len(), before, "nothing was written");
    let _ = sb.kill();
}

#[test]
fn a_server_that_never_answers_ends_within_give_up_after_and_one_timeout() {
    // Lists answer; every write hangs far longer than the run may wait.
    let server = Hostile::start(Arc::new(|uri, _| {
        if uri.contains("List") {
            return empty_list();
        }
        std::thread::sleep(Duration::from_secs(4));
        json(200, &serde_json::json!({"success": true, "id": 1}))
    }));
    let dir = tempfile::tempdir().unwrap();
    let file = sources_csv(dir.path(), 50);
    let started = Instant::now();
    let o = run(
        &mut import_against(
            &server.url(),
            dir.path(),
            &file,
            &["--give-up-after", "2", "--retries", "50"],
        ),
        Duration::from_secs(60),
    );
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // --give-up-after (2 s) plus one request timeout (2 s) plus the look-ups of lost creates,
    // with room for a loaded machine.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(
        results(&dir.path().join("sources.results.csv")).len(),
        50,
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_failed_look_up_after_a_lost_create_says_both() {
    // Writes answer something unreadable (the create may have happened); every list after the
    // first fails, so the look-up that should settle it fails too.
    let lists = Arc::new(AtomicU64::new(0));
    let seen = lists.clone();
    let server = Hostile::start(Arc::new(move |uri, _| {
        if uri.contains("List") {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                return empty_list();
            }
            return json(
                500,
                &serde_json::json!({"errorCode": 500, "message": "Internal Server Error"}),
            );
        }
        Response::builder()
            .status(200)
            .body(Full::new(Bytes::from_static(b"<html>gateway</html>")))
            .unwrap()
    }));
    let dir = tempfile::tempdir().unwrap();
    let file = sources_csv(dir.path(), 1);
    let o = run(
        &mut import_against(&server.url(), dir.path(), &file, &["--retries", "1"]),
        Duration::from_secs(60),
    );
    let lines = results(&dir.path().join("sources.results.csv"));
    assert_eq!(lines.len(), 1, "{}", stderr(&o));
    let error = &lines[0]["error"];
    assert_eq!(lines[0]["status"], "failed");
    assert!(
        error.contains("the create may have been applied (answer lost) and the check failed")
            && error.contains("--resume"),
        "{error}"
    );
    assert!(lists.load(Ordering::SeqCst) > 1, "a look-up was made");
}
