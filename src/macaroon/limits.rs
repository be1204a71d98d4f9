//! Bounds on the work a token may cause.

use super::error::{Error, Limit};

/// Upper bounds checked before any work or allocation grows with the input.
///
/// The defaults suit tokens that travel in HTTP headers and bodies; raise them deliberately.
///
/// ```
/// use onezone_tokens::macaroon::Limits;
/// let strict = Limits::default().with_max_caveats(8).with_max_token_len(4096);
/// assert_eq!(strict.max_caveats, 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum size of a token: characters of its text form, or bytes of its binary form.
    /// Default 65536. Whatever it is set to, V1 and V2 bytes longer than 4 GiB (`u32::MAX`)
    /// are refused: where a macaroon's parts lie in them is kept in 32 bits.
    pub max_token_len: usize,
    /// Maximum number of caveats. Default 256.
    pub max_caveats: usize,
    /// Maximum size of one field's value. Default 65519, so every field fits a V1 packet
    /// (at most 65535 bytes including its 4-byte header, key, space and newline).
    pub max_field_len: usize,
    /// Maximum number of discharge macaroons given with one macaroon. Default 64; checked before
    /// any discharge is looked at.
    pub max_discharges: usize,
    /// Maximum nesting of discharges: 1 for a discharge of a caveat of the authorizing macaroon,
    /// 2 for a discharge of a caveat of that discharge, and so on. Default 8.
    pub max_discharge_depth: usize,
}

/// Largest V1 packet, header included (4 hex digits).
pub const MAX_V1_PACKET: usize = 0xffff;

impl Default for Limits {
    fn default() -> Self {
        // The longest V1 key is `identifier`: 4 header bytes + 10 + space + newline = 16.
        Limits {
            max_token_len: 65536,
            max_caveats: 256,
            max_field_len: MAX_V1_PACKET - 16,
            max_discharges: 64,
            max_discharge_depth: 8,
        }
    }
}

impl Limits {
    /// No limit at all: for re-reading bytes that were already read within limits.
    pub(crate) const UNLIMITED: Limits = Limits {
        max_token_len: usize::MAX,
        max_caveats: usize::MAX,
        max_field_len: usize::MAX,
        max_discharges: usize::MAX,
        max_discharge_depth: usize::MAX,
    };

    /// Sets [`Limits::max_token_len`].
    pub fn with_max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// Sets [`Limits::max_caveats`].
    pub fn with_max_caveats(mut self, max: usize) -> Self {
        self.max_caveats = max;
        self
    }

    /// Sets [`Limits::max_field_len`].
    pub fn with_max_field_len(mut self, max: usize) -> Self {
        self.max_field_len = max;
        self
    }

    /// Sets [`Limits::max_discharges`].
    pub fn with_max_discharges(mut self, max: usize) -> Self {
        self.max_discharges = max;
        self
    }

    /// Sets [`Limits::max_discharge_depth`].
    pub fn with_max_discharge_depth(mut self, max: usize) -> Self {
        self.max_discharge_depth = max;
        self
    }

    pub(crate) fn check(limit: Limit, max: usize, found: usize) -> Result<(), Error> {
        if found > max { Err(Error::LimitExceeded { limit, max, found }) } else { Ok(()) }
    }

    pub(crate) fn check_token(&self, len: usize) -> Result<(), Error> {
        Self::check(Limit::TokenLength, self.max_token_len, len)
    }

    pub(crate) fn check_caveats(&self, count: usize) -> Result<(), Error> {
        Self::check(Limit::CaveatCount, self.max_caveats, count)
    }

    pub(crate) fn check_field(&self, len: usize) -> Result<(), Error> {
        Self::check(Limit::FieldLength, self.max_field_len, len)
    }
}
