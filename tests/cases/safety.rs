//! Nothing lost, nothing twice, under the faults a user can cause: hostile answers, dead
//! servers, redirects, signals, files that alias each other. Every server here is a loopback
//! server the test starts itself.

use std::collections::HashMap;
use std::io::Read as _;
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::support::{Case, Running, wait_for};

/// A sources file of `rows` rows, named `Source 0000`, …
fn sources_csv(rows: usize) -> String {
    let mut s = String::from("name,cost\n");
    for i in 0..rows {
        s.push_str(&format!("Source {i:04},{i}\n"));
    }
    s
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

/// An import of `sources.csv` (`rows` rows) against `server`.
fn against(server: &str, rows: usize) -> Case {
    Case::new()
        .input("sources.csv", sources_csv(rows))
        .cmd("import")
        .args(["--base-url", server, "--rate", "1000", "--timeout", "2"])
        .env("IVVY_API_KEY", "key")
        .env("IVVY_API_SECRET", "secret-never-shown")
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
    let case = against(&server.url(), 5);
    let o = case.timeout(Duration::from_secs(30)).run();
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("redirect"), "{}", o.stderr);
    assert_eq!(
        elsewhere.hits(),
        0,
        "a signed request followed the redirect"
    );
    let lines = o.lines;
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
    let case = against(&server.url(), 2);
    let started = Instant::now();
    let o = case.timeout(Duration::from_secs(30)).run_with([
        "--max-wait",
        "0.2",
        "--retries",
        "2",
        "--give-up-after",
        "3",
    ]);
    let err = o.stderr;
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.code == 1 || o.code == 2, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "waits were not capped"
    );
    assert_eq!(o.lines.len(), 2);
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
    let case = against(&server.url(), 200);
    let started = Instant::now();
    let o = case.timeout(Duration::from_secs(60)).run_with([
        "--give-up-after",
        "2",
        "--retries",
        "50",
        "--concurrency",
        "4",
    ]);
    let took = started.elapsed();
    let err = o.stderr;
    assert_eq!(o.code, 2, "{err}");
    assert!(err.contains("--resume"), "{err}");
    // --give-up-after plus one request timeout (2 s), with room for a loaded machine.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert!(server.writes() < 200 * 5, "{} writes", server.writes());
    let lines = o.lines;
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
    let case = against(&server.url(), 3);
    let o = case.timeout(Duration::from_secs(30)).run();
    let err = o.stderr;
    assert_eq!(o.code, 2, "{err}");
    assert!(err.contains("does not advance"), "{err}");
    assert!(server.hits() < 50, "{} requests", server.hits());
    assert_eq!(server.writes(), 0);
}

#[test]
fn the_results_file_may_not_be_the_input_by_any_spelling() {
    let case = Case::new().input("sources.csv", sources_csv(3));
    let file = case.path("sources.csv");
    let before = std::fs::read(&file).unwrap();
    std::fs::create_dir(case.path("sub")).unwrap();
    std::os::unix::fs::symlink(&file, case.path("link.csv")).unwrap();
    std::fs::hard_link(&file, case.path("hard.csv")).unwrap();
    for out in [
        "./sources.csv",
        "sub/../sources.csv",
        "link.csv",
        "hard.csv",
    ] {
        let o = case.exec(["validate", "sources.csv", "-o", out]);
        assert_eq!(o.code, 2, "-o {out}: {}", o.stderr);
        assert!(
            o.stderr.contains("would overwrite the input"),
            "{}",
            o.stderr
        );
        assert_eq!(
            std::fs::read(&file).unwrap(),
            before,
            "-o {out} touched the input"
        );
    }
    // One input's default output is another input.
    std::fs::copy(&file, case.path("sources.results.csv")).unwrap();
    let o = case.exec(["validate", "sources.csv", "sources.results.csv"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

#[test]
fn out_of_range_numbers_are_refused_at_parse_time() {
    let case = Case::new();
    for (flag, value) in [
        ("--rate", "0"),
        ("--rate", "1e-300"),
        ("--rate", "1e10"),
        ("--concurrency", "0"),
        ("--timeout", "1e300"),
    ] {
        let o = case.exec(["import", "x.csv", "--sandbox", flag, value]);
        assert_eq!(o.code, 2, "{flag} {value}");
        let err = o.stderr;
        assert!(err.contains(flag) && !err.contains("panicked"), "{err}");
    }
}

#[test]
fn base_urls_with_passwords_queries_or_fragments_are_refused_without_echoing_the_password() {
    let case = Case::new()
        .env("IVVY_API_KEY", "k")
        .env("IVVY_API_SECRET", "s");
    for url in [
        "https://user:hunter2@api.example.com",
        "https://api.example.com/?x=1",
        "https://api.example.com/#frag",
    ] {
        let o = case.exec(["ping", "--base-url", url]);
        assert_eq!(o.code, 2, "{url}");
        assert!(!o.stderr.contains("hunter2"), "{}", o.stderr);
    }
}

#[test]
fn a_secret_with_a_control_character_is_refused_clearly() {
    let o = Case::new()
        .env("IVVY_API_KEY", "key")
        .env("IVVY_API_SECRET", "sec\u{7}ret")
        .exec(["ping", "--base-url", "https://api.example.com"]);
    assert_eq!(o.code, 2);
    let err = o.stderr;
    assert!(
        err.contains("IVVY_API_SECRET") && err.contains("control character"),
        "{err}"
    );
    assert!(!err.contains("sec\u{7}ret"));
}

/// An emulator in its own process (started through `case`), killed on drop.
struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    /// Starts it and reads its URL; its output is drained on a thread, so it never blocks on
    /// a full pipe.
    fn start(case: &Case) -> Emulator {
        let line = ["sandbox", "--key", "k", "--secret", "s"].map(Into::into);
        let mut child = case
            .exec_command(&line)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
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
        Emulator { child, url }
    }

    /// Its `GET /_sandbox/state`.
    fn state(&self) -> serde_json::Value {
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        use std::io::Write;
        write!(s, "GET /_sandbox/state HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
        serde_json::from_str(body).unwrap()
    }

    /// Records it has created so far.
    fn creates(&self) -> u64 {
        self.state()["store"]["creates"].as_u64().unwrap_or(0)
    }

    fn stored_names(&self) -> Vec<String> {
        self.state()["store"]["sources"]
            .as_object()
            .unwrap()
            .values()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// Every `Source 0000` … of `rows` rows is stored exactly once.
    #[track_caller]
    fn assert_each_once(&self, rows: usize) {
        let names = self.stored_names();
        for i in 0..rows {
            let n = format!("Source {i:04}");
            assert_eq!(names.iter().filter(|s| **s == n).count(), 1, "{n}");
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An import of `sources.csv` (`rows` rows) against an emulator in its own process; the
/// emulator is started through the same case.
fn against_emulator(rows: usize) -> (Case, Emulator) {
    let case = Case::new().input("sources.csv", sources_csv(rows));
    let emulator = Emulator::start(&case);
    let case = case
        .cmd("import")
        .args(["--base-url", &emulator.url])
        .env("IVVY_API_KEY", "k")
        .env("IVVY_API_SECRET", "s");
    (case, emulator)
}

/// Waits (bounded) until the emulator has created `n` records.
fn wait_for_creates(emulator: &Emulator, n: u64) {
    wait_for(&format!("{n} creates"), Duration::from_secs(30), || {
        emulator.creates() >= n
    });
}

/// Kills a run with SIGKILL once it is under way, and waits for its end.
fn kill_9(mut child: Running) {
    child.kill();
    let _ = child.wait();
}

#[test]
fn sigterm_stops_like_ctrl_c_and_every_row_gets_a_line() {
    let (case, emulator) = against_emulator(200);
    let child = case.spawn_with(["--rate", "40"]);
    wait_for_creates(&emulator, 10);
    child.signal("TERM");
    let o = child.wait();
    assert_eq!(o.code, 143, "{}", o.stderr);
    assert_eq!(o.lines.len(), 200);
    let created = o.count("created");
    assert!(created > 0 && created < 200, "{created} created");
    // Resume finishes the job, nothing twice.
    let o = case.run_with(["--rate", "1000", "--resume"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    emulator.assert_each_once(200);
}

#[test]
fn a_second_run_on_the_same_results_file_is_refused_while_the_first_runs() {
    let (case, emulator) = against_emulator(100);
    let first = case.spawn_with(["--rate", "20"]);
    // The first run holds the lock once it sends.
    wait_for_creates(&emulator, 1);
    let second = case.run_with(["--rate", "50"]);
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(
        second.stderr.contains("another ivvy-import (pid"),
        "{}",
        second.stderr
    );
    let o = first.wait();
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        emulator.stored_names().len(),
        100 + 3,
        "100 rows and the 3 built-in sources"
    );
}

#[test]
fn a_damaged_journal_stops_the_resume_and_says_what_to_do() {
    let (case, emulator) = against_emulator(50);
    let child = case.spawn_with(["--rate", "40"]);
    wait_for_creates(&emulator, 5);
    kill_9(child);
    let jpath = case.path("sources.results.csv.journal");
    let text = std::fs::read_to_string(&jpath).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 3, "the journal holds entries: {text}");
    lines.insert(2, "garbage");
    std::fs::write(&jpath, lines.join("\n") + "\n").unwrap();
    let o = case.run_with(["--rate", "1000", "--resume"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("--reconcile-by-name"), "{}", o.stderr);
    // With the flag, the resume finishes without duplicates.
    let o = case.run_with(["--rate", "1000", "--resume", "--reconcile-by-name"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    emulator.assert_each_once(50);
}

#[test]
fn resuming_a_changed_input_stops_before_any_request() {
    let (case, emulator) = against_emulator(20);
    let child = case.spawn_with(["--rate", "20"]);
    wait_for_creates(&emulator, 3);
    kill_9(child);
    // A row inserted at the top shifts every row.
    let file = case.path("sources.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("name,cost\n", "name,cost\nInserted,1\n", 1),
    )
    .unwrap();
    let before = emulator.stored_names().len();
    let o = case.run_with(["--rate", "1000", "--resume"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("the input changed since that run"),
        "{}",
        o.stderr
    );
    assert_eq!(emulator.stored_names().len(), before, "nothing was written");
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
    let case = against(&server.url(), 50);
    let started = Instant::now();
    let o =
        case.timeout(Duration::from_secs(60))
            .run_with(["--give-up-after", "2", "--retries", "50"]);
    let took = started.elapsed();
    assert_eq!(o.code, 2, "{}", o.stderr);
    // --give-up-after (2 s) plus one request timeout (2 s) plus the look-ups of lost creates,
    // with room for a loaded machine.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(o.lines.len(), 50, "{}", o.stderr);
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
    let case = against(&server.url(), 1);
    let o = case
        .timeout(Duration::from_secs(60))
        .run_with(["--retries", "1"]);
    let lines = o.lines;
    assert_eq!(lines.len(), 1, "{}", o.stderr);
    let error = &lines[0]["error"];
    assert_eq!(lines[0]["status"], "failed");
    assert!(
        error.contains("the create may have been applied (answer lost) and the check failed")
            && error.contains("--resume"),
        "{error}"
    );
    assert!(lists.load(Ordering::SeqCst) > 1, "a look-up was made");
}
