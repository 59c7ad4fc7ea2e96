//! The iVvy protocol: signing, JSON bodies, and the HTTP client.

pub mod client;
pub mod sign;
pub mod wire;

pub use client::{Client, Credentials, Endpoint, Failure};
