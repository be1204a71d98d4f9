//! Typed first-party caveats (documented in [`crate::token`], which re-exports them), one file
//! per concept: the caveat and its forms (`typed.rs`), what its entries are (`ip.rs`, `geo.rs`,
//! `consumer.rs`, `service.rs`, `interface.rs`, `api.rs`, `data.rs`), checking (`check.rs`,
//! `expiry.rs`; the caveats every token carries checked in place, `holds.rs`), lists and numbers (`list.rs`) and errors (`error.rs`). `equivalence.rs` tests
//! the parser against the one it replaced.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, Ipv4Addr};
use core::ops::Deref;
use core::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::Quoted;

/// The separator of list entries in the string form of a caveat.
const SEP: char = '|';
/// [`SEP`] as a byte, for the scanners.
const SEP_BYTE: u8 = b'|';

/// Serde through the `Display` / `FromStr` text of a type.
macro_rules! serde_as_text {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

mod api;
mod check;
mod consumer;
mod data;
mod error;
mod expiry;
mod geo;
mod holds;
mod interface;
mod ip;
mod list;
mod service;
mod typed;

pub use api::*;
pub use check::*;
pub use consumer::*;
pub use data::*;
pub use error::*;
use expiry::*;
pub use geo::*;
pub(crate) use holds::*;
pub use interface::*;
pub use ip::*;
pub use list::*;
pub use service::*;
pub use typed::*;

#[cfg(test)]
mod equivalence;
#[cfg(test)]
mod tests;
