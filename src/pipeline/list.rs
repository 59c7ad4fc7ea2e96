//! Reading what exists: every record of a kind, page by page. Each page is its own
//! rate-limited request with its own retries; after the first page tells the page size, the
//! rest are fetched several at a time.
//!
//! The listing checks itself: every page must report the first page's `totalResults` (a
//! record added or deleted meanwhile shifts the offsets: the listing starts over, a few
//! times at most, then stops naming it); every page must start where it was asked to and
//! hold the records the total promises; an id seen twice, or a page that does not advance,
//! ends the listing with an error instead of asking forever. Memory follows the pages
//! received, never the total a server claims.

use std::collections::HashSet;

use futures::StreamExt;

use super::OnPage;
use super::transport::Transport;
use crate::api::Failure;
use crate::api::wire::Listed;
use crate::kind::Kind;

/// Records asked for per page; the server may cap it lower (its answer says how many came).
pub(crate) const PER_PAGE: u64 = 1000;

/// How many times a listing whose total changed is started over.
const RELISTS: u32 = 3;

fn broken(kind: Kind, why: &str) -> Failure {
    Failure::fatal(format!(
        "the list of {} does not advance ({why}); the server's paging is broken",
        kind.plural()
    ))
}

/// One reading of the whole list.
enum Listing {
    Done(Vec<Listed>),
    /// The total changed between pages: what was read may miss or repeat records.
    Changed(String),
}

impl Transport {
    /// Every record of `kind` matching `filter` (all of them when None); `on_page` is told
    /// of each page read.
    pub(crate) async fn list_all(
        &self,
        kind: Kind,
        filter: Option<&serde_json::Map<String, serde_json::Value>>,
        on_page: Option<&OnPage>,
    ) -> Result<Vec<Listed>, Failure> {
        let mut why = String::new();
        for _ in 0..=RELISTS {
            match self.list_once(kind, filter, on_page).await? {
                Listing::Done(records) => return Ok(records),
                Listing::Changed(w) => why = w,
            }
        }
        Err(Failure::fatal(format!(
            "the list of {} changed while it was read, {} times ({why}); run again when the account is quiet",
            kind.plural(),
            RELISTS + 1
        )))
    }

    async fn list_once(
        &self,
        kind: Kind,
        filter: Option<&serde_json::Map<String, serde_json::Value>>,
        on_page: Option<&OnPage>,
    ) -> Result<Listing, Failure> {
        let first = self
            .read(|| self.client.list_page(kind, filter, 0, PER_PAGE))
            .await?;
        let total = first.meta.total_results;
        let page = first.results.len() as u64;
        let page_count = if page == 0 {
            1
        } else {
            total.div_ceil(page).max(1)
        };
        let mut read = 1;
        if let Some(f) = on_page {
            f(kind, read, page_count);
        }
        let mut seen: HashSet<u64> = first.results.iter().map(|l| l.id).collect();
        let mut out = first.results;
        if page == 0 || page >= total {
            return Ok(Listing::Done(out));
        }
        if first.meta.start != 0 {
            return Err(broken(
                kind,
                &format!("asked from 0, answered from {}", first.meta.start),
            ));
        }
        // Lazily: a claimed total of 10^12 costs nothing until pages actually come.
        let starts = (1..)
            .map(move |i: u64| i.saturating_mul(page))
            .take_while(move |s| *s < total);
        let mut pages = futures::stream::iter(starts.map(|start| async move {
            let answer = self
                .read(|| self.client.list_page(kind, filter, start, page))
                .await;
            (start, answer)
        }))
        .buffered(self.policy.concurrency.max(1));
        while let Some((start, answer)) = pages.next().await {
            let answer = answer?;
            read += 1;
            if let Some(f) = on_page {
                f(kind, read.min(page_count), page_count);
            }
            if answer.meta.total_results != total {
                return Ok(Listing::Changed(format!(
                    "{total} records at first, {} at the page from {start}",
                    answer.meta.total_results
                )));
            }
            if answer.meta.start != start {
                return Err(broken(
                    kind,
                    &format!("asked from {start}, answered from {}", answer.meta.start),
                ));
            }
            let want = page.min(total - start);
            if answer.results.len() as u64 != want {
                return Err(broken(
                    kind,
                    &format!(
                        "the page from {start} holds {} records, not the {want} its total of {total} promises",
                        answer.results.len()
                    ),
                ));
            }
            for l in answer.results {
                if !seen.insert(l.id) {
                    return Err(broken(
                        kind,
                        &format!("the page from {start} repeats id {}", l.id),
                    ));
                }
                out.push(l);
            }
        }
        Ok(Listing::Done(out))
    }
}
