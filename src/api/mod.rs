//! The iVvy protocol: signing, JSON bodies, the HTTP client and what its answers mean.

mod answer;
pub(crate) mod client;
pub(crate) mod endpoint;
pub(crate) mod sign;
pub(crate) mod wire;
mod words;

#[cfg(test)]
pub(crate) use answer::ApiError;
pub(crate) use answer::{Failure, JobSent, result_matches};
pub(crate) use client::Client;
pub(crate) use endpoint::{Credentials, Endpoint};
