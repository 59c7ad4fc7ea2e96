//! ivvy-import: CSV and spreadsheet rows of CRM lead sources and lead stages, validated and
//! submitted to iVvy's signed JSON API, with one results line per row.
//!
//! A row travels one way: [`input`] (file → cells) → [`record`] (cells → typed record or
//! problems) → [`pipeline`] (record → outcome, through [`api`]) → [`results`] (outcome → line).
//! [`sandbox`] is an emulator of the API, a peer of the client.

pub mod api;
pub mod cli;
pub mod config;
mod fnv;
pub mod input;
pub mod pipeline;
pub mod progress;
pub mod record;
pub(crate) mod report;
pub mod results;
pub(crate) mod results_xlsx;
mod run;
pub mod sandbox;
pub(crate) mod template;

pub use config::Config;
pub use progress::Summary;
pub use run::{FatalError, run};

/// Exit codes.
pub mod exit {
    /// Every row done (valid, in a dry run).
    pub const OK: i32 = 0;
    /// Finished; some rows invalid, failed or skipped.
    pub const SOME_ROWS: i32 = 1;
    /// Bad arguments, unreadable file, unknown kind, credentials or clock refused.
    pub const FATAL: i32 = 2;
    pub const INTERRUPTED: i32 = 130;
}
