use std::process::ExitCode;

use clap::Parser;
use ivvy_import::cli::{Cli, Command};
use ivvy_import::config::{self, Config};
use ivvy_import::exit;

// Reading allocates a little per cell; mimalloc makes that cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Import(args) => import(Config::from_import(args)),
        Command::Validate(args) => import(Config::from_validate(args)),
        Command::Ping(args) => ping(args),
        Command::Sandbox(args) => sandbox(args),
    };
    ExitCode::from(code as u8)
}

fn import(config: Result<Config, config::ConfigError>) -> i32 {
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FATAL;
        }
    };
    let (json, quiet) = (config.json, config.quiet);
    match ivvy_import::run(config) {
        Ok(summary) => {
            if json {
                println!("{}", serde_json::to_string(&summary).unwrap_or_default());
            }
            if !quiet {
                eprint!("{}", summary.render());
            }
            summary.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::FATAL
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts")
}

fn ping(args: ivvy_import::cli::PingArgs) -> i32 {
    let timeout = match config::timeout(args.target.timeout) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FATAL;
        }
    };
    let target = match config::target_config(&args.target, Default::default()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FATAL;
        }
    };
    runtime().block_on(async move {
        let (_sandbox, endpoint, creds) = match target {
            config::Target::Remote {
                endpoint,
                credentials,
            } => (None, endpoint, credentials),
            config::Target::Sandbox { faults } => {
                let sb = match ivvy_import::sandbox::Sandbox::start(
                    ivvy_import::sandbox::SandboxOptions {
                        faults,
                        ..Default::default()
                    },
                )
                .await
                {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("error: cannot start the sandbox: {e}");
                        return exit::FATAL;
                    }
                };
                let ep = ivvy_import::api::Endpoint::parse(&sb.base_url()).expect("loopback URL");
                let c = sb.credentials();
                (Some(sb), ep, c)
            }
        };
        let client = match ivvy_import::api::Client::new(endpoint, creds, timeout) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return exit::FATAL;
            }
        };
        match client.ping().await {
            Ok(p) => {
                if args.json {
                    println!("{}", serde_json::to_string(&p).unwrap_or_default());
                } else {
                    let skew = p
                        .clock_skew_secs
                        .map_or("unknown (the server gave no time)".to_string(), |s| {
                            format!("{s:+} s")
                        });
                    println!(
                        "ok: {} answered in {} ms; clock skew {skew}",
                        p.base_url, p.round_trip_ms
                    );
                }
                exit::OK
            }
            Err(f) => {
                let why = match &f {
                    ivvy_import::api::Failure::Fatal(e) => {
                        ivvy_import::api::client::fatal_advice(e)
                    }
                    other => other.describe(),
                };
                eprintln!("error: ping {} failed: {why}", client.endpoint().base());
                exit::FATAL
            }
        }
    })
}

fn sandbox(args: ivvy_import::cli::SandboxArgs) -> i32 {
    let faults = match args
        .faults
        .as_deref()
        .map(ivvy_import::sandbox::Faults::parse)
    {
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return exit::FATAL;
        }
        None => Default::default(),
    };
    let secret_given = args.secret.is_some();
    runtime().block_on(async move {
        let sb = match ivvy_import::sandbox::Sandbox::start(ivvy_import::sandbox::SandboxOptions {
            port: args.port,
            key: args.key,
            secret: args.secret,
            faults,
            verbose: true,
        })
        .await
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot start the sandbox: {e}");
                return exit::FATAL;
            }
        };
        let creds = sb.credentials();
        println!("listening on {}", sb.base_url());
        println!("IVVY_API_KEY={}", creds.key);
        if !secret_given {
            // A throwaway secret generated for this emulator, shown once so a client can use it.
            println!("IVVY_API_SECRET={}", creds.secret.expose());
        }
        println!("state: {}/_sandbox/state", sb.base_url());
        let _ = tokio::signal::ctrl_c().await;
        exit::OK
    })
}
