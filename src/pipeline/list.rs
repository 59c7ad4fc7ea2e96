//! Reading what exists: every record of a kind, page by page. Each page is its own
//! rate-limited request with its own retries; after the first page tells the total, the rest
//! are fetched several at a time. A page that does not advance ends the listing with an error
//! instead of asking forever.

use std::collections::HashSet;

use futures::StreamExt;

use super::Submitter;
use crate::api::Failure;
use crate::api::wire::Listed;
use crate::kind::Kind;

/// Records asked for per page; the server may cap it lower (its answer says how many came).
pub(crate) const PER_PAGE: u64 = 1000;

fn broken(kind: Kind, why: &str) -> Failure {
    Failure::fatal(format!(
        "the list of {} does not advance ({why}); the server's paging is broken",
        kind.plural()
    ))
}

impl Submitter {
    /// Every record of `kind` matching `filter` (all of them when None).
    pub(crate) async fn list_all(
        &self,
        kind: Kind,
        filter: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Result<Vec<Listed>, Failure> {
        let first = self
            .with_retries(|| self.client.list_page(kind, filter, 0, PER_PAGE))
            .await?;
        let total = first.meta.total_results;
        let page = first.results.len() as u64;
        let page_count = if page == 0 {
            1
        } else {
            total.div_ceil(page).max(1)
        };
        let mut read = 1;
        if let Some(f) = self.on_page.as_ref().filter(|_| filter.is_none()) {
            f(kind, read, page_count);
        }
        let mut seen: HashSet<u64> = first.results.iter().map(|l| l.id).collect();
        let mut out = first.results;
        if page == 0 || page >= total {
            return Ok(out);
        }
        if first.meta.start != 0 {
            return Err(broken(
                kind,
                &format!("asked from 0, answered from {}", first.meta.start),
            ));
        }
        let starts: Vec<u64> = (1..total.div_ceil(page)).map(|i| i * page).collect();
        let mut pages = futures::stream::iter(starts.into_iter().map(|start| async move {
            let answer = self
                .with_retries(|| self.client.list_page(kind, filter, start, page))
                .await;
            (start, answer)
        }))
        .buffered(self.policy.concurrency.max(1));
        while let Some((start, answer)) = pages.next().await {
            let answer = answer?;
            read += 1;
            if let Some(f) = self.on_page.as_ref().filter(|_| filter.is_none()) {
                f(kind, read.min(page_count), page_count);
            }
            if answer.meta.start != start {
                return Err(broken(
                    kind,
                    &format!("asked from {start}, answered from {}", answer.meta.start),
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
        Ok(out)
    }
}
