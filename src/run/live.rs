//! A live run's side of the account: the backend connected, the submitter with its policy
//! and ledger, and the account read before the first row (what exists, for matching by name
//! and reconciling lost creates).

use std::sync::Arc;

use super::Opened;
use crate::api::Failure;
use crate::backend::Backend;
use crate::config::SubmitConfig;
use crate::error::FatalError;
use crate::input::plan::KindSource;
use crate::kind::Kind;
use crate::ledger::Ledger;
use crate::pipeline::stop::Stop;
use crate::pipeline::{OnPage, Submitter};
use crate::progress::Progress;

/// The kinds a run's tables may hold.
fn kinds_of(opened: &[Opened]) -> Vec<Kind> {
    let mut kinds: Vec<Kind> = Vec::new();
    for p in opened.iter().flat_map(|o| o.plans.iter()) {
        match p.kind {
            KindSource::Fixed(k) => kinds.push(k),
            KindSource::Column(_) => kinds.extend(Kind::ALL),
        }
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

/// A live run's submitter and what keeps it going.
pub(super) struct Live {
    pub(super) submitter: Arc<Submitter>,
    _backend: Backend,
    /// How long reading the account took.
    pub(super) listing_secs: f64,
}

pub(super) async fn start_live(
    submit: &SubmitConfig,
    opened: &[Opened],
    stop: &Arc<Stop>,
    progress: &Progress,
) -> Result<Live, FatalError> {
    let backend = Backend::connect(submit.target(), submit.pacing().timeout()).await?;
    if let Some(note) = backend.sandbox_note() {
        progress.say(&note);
    }
    let mut submitter = Submitter::new(backend.client.clone(), submit.policy(), stop.clone());
    submitter.account.ledger = open_ledger(submit, progress);
    let listing = Arc::new(progress.listing());
    let shown = listing.clone();
    let on_page: OnPage = Box::new(move |kind, read, pages| {
        shown.page(kind, read, pages);
    });
    // What exists before the run: for reconciling lost creates and matching by name.
    for k in kinds_of(opened) {
        if let Err(f) = submitter.load_existing(k, Some(&on_page)).await {
            listing.finish();
            return Err(FatalError::Api(format!(
                "cannot read the existing {}: {}",
                k.plural(),
                describe_fatal(&f)
            )));
        }
    }
    listing.finish();
    Ok(Live {
        submitter: Arc::new(submitter),
        _backend: backend,
        listing_secs: listing.elapsed().as_secs_f64(),
    })
}

/// The ledger of the account (none for the built-in emulator, which starts empty each run, or
/// with `--no-ledger`). One that cannot be read is a warning: rows are then compared as
/// without it.
fn open_ledger(submit: &SubmitConfig, progress: &Progress) -> Option<Arc<Ledger>> {
    let (endpoint, credentials) = submit.account().filter(|_| submit.ledger())?;
    let Some(folder) = crate::ledger::folder() else {
        progress.warn("no state folder (neither XDG_STATE_HOME nor HOME is set): colours are sent whenever a row sets them");
        return None;
    };
    match Ledger::open_in(&folder, endpoint.base(), &credentials.key) {
        Ok(l) => Some(Arc::new(l)),
        Err(e) => {
            progress.warn(&format!(
                "the ledger in {} cannot be read ({e}): colours are sent whenever a row sets them",
                folder.display()
            ));
            None
        }
    }
}

fn describe_fatal(f: &Failure) -> String {
    match f {
        Failure::Fatal(e) => crate::api::client::fatal_advice(e),
        other => other.describe(),
    }
}
