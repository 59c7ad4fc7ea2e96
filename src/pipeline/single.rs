//! Single calls: one `addOrUpdate…` request a row, through the transport's one retry rule.
//! A create is journalled as sent right before its first request, and is looked up by name
//! (the claims' look-up) before it is sent again after an unknown outcome.

use futures::FutureExt;

use super::transport::{Call, Ended};
use super::{Submitted, Submitter};
use crate::outcome::Status;
use crate::record::Record;

impl Submitter {
    /// Submits one valid record (an update when it has an id). `was_sent`: an earlier run
    /// journalled this create as sent with no outcome; `journal_sent` is called before a
    /// create is first sent.
    pub(crate) async fn submit(
        &self,
        record: Record,
        was_sent: bool,
        journal_sent: impl FnOnce() -> std::io::Result<()> + Send,
    ) -> Submitted {
        let t = &self.transport;
        let kind = record.kind();
        let save = || t.client.save(&record);
        if record.id().is_some() {
            return match t.call(Call::update(), save).await {
                Ok(id) => Submitted::done(Status::Updated, Some(id)),
                Err(e) => self.ended(e, false),
            };
        }
        let name = record.name().unwrap_or_default();
        let look_up = move || {
            async move {
                let found = self.claims.look_up(t, &[(kind, name)]).await?;
                Ok(found.first().copied().flatten())
            }
            .boxed()
        };
        let mut journal = Some(journal_sent);
        let mut before = move || journal.take().map_or(Ok(()), |f| f());
        let call = Call::create(&look_up, was_sent).before_each(&mut before);
        match t.call(call, save).await {
            Ok(id) => {
                self.claims.claim(kind, id);
                Submitted::done(Status::Created, Some(id))
            }
            Err(e) => self.ended(e, true),
        }
    }

    /// What a row's single call that ended without an answer says.
    fn ended(&self, e: Ended, creating: bool) -> Submitted {
        let retries = self.transport.policy.retries;
        match e {
            Ended::Stopped(_) => self.skipped(),
            Ended::Refused(f) => Submitted::failed(&f),
            Ended::OutOfRetries(f) | Ended::Unknown(f) => {
                Submitted::out_of_retries(&f, retries, creating)
            }
            Ended::LookUpFailed(f) => Submitted::look_up_failed(&f),
            Ended::NotSent(e) => {
                Submitted::local_failure(format!("cannot write the journal: {e}"), "journal")
            }
        }
    }
}
