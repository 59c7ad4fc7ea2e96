//! The iVvy protocol: signing, JSON bodies, and the HTTP client.

pub mod client;
pub mod endpoint;
pub mod sign;
pub mod wire;

pub use client::{Client, Failure};
pub use endpoint::{Credentials, Endpoint};
