//! The iVvy protocol: signing, JSON bodies, and the HTTP client.

pub(crate) mod client;
pub(crate) mod endpoint;
pub(crate) mod sign;
pub(crate) mod wire;

pub(crate) use client::{Client, Failure};
pub(crate) use endpoint::{Credentials, Endpoint};
