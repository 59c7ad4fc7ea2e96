//! ivvy-import: CSV and spreadsheet rows of CRM lead sources and lead stages, validated and
//! submitted to iVvy's signed JSON API, with one results line per row.
//!
//! A row travels one way: `input` (file → cells) → `record` (cells → typed record or
//! problems) → `pipeline` (record → outcome, through `api`) → `results` (outcome → line).
//! `sandbox` is an emulator of the API, a peer of the client. See ARCHITECTURE.md.

mod api;
mod backend;
pub mod cli;
mod commands;
pub mod config;
mod error;
mod fnv;
mod guard;
mod input;
mod kind;
mod outcome;
mod pipeline;
mod progress;
mod record;
mod report;
mod results;
mod results_xlsx;
mod resume;
mod run;
pub mod sandbox;
mod source;
mod summary;
mod template;

pub use api::client::Ping;
pub use commands::{export, ping, serve, template};
pub use config::Config;
pub use error::{
    EXIT_FATAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_ROWS, EXIT_TERMINATED, FatalError,
};
pub use run::run;
pub use summary::{KindCounts, Mode, StopKind, Stopped, Summary};
