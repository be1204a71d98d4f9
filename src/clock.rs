//! Unix seconds from the standard library's clock type (with the `std` feature).
//!
//! The library reads no clock: the functions that need the time ([`CaveatContext::at`],
//! [`issue_invite_token`](crate::invite::issue_invite_token), the joins) take it as Unix seconds.
//! These conversions save a server the `duration_since(UNIX_EPOCH)` dance.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::token::CaveatContext;

/// `time` as whole Unix seconds (UTC), as the functions that need the time take it. An instant
/// before 1970 gives `0`, which a [`CaveatContext`] reads as "time unknown" (every time caveat
/// then fails).
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use onezone_tokens::unix_seconds;
///
/// assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1_800_000_000_999)), 1_800_000_000);
/// assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(1)), 0);
/// let now = unix_seconds(SystemTime::now()); // what a server passes as `now`
/// # assert!(now > 1_700_000_000);
/// ```
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

impl CaveatContext {
    /// A context that knows only the time, from the standard library's clock type (see
    /// [`unix_seconds`]; before 1970 the time is unknown).
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use onezone_tokens::token::CaveatContext;
    ///
    /// let mut ctx = CaveatContext::at_system_time(SystemTime::now());
    /// ctx.ip = Some("10.1.2.3".parse()?); // then what else the request tells
    /// # assert!(ctx.now > 1_700_000_000);
    /// # Ok::<(), core::net::AddrParseError>(())
    /// ```
    pub fn at_system_time(time: SystemTime) -> Self {
        CaveatContext::at(unix_seconds(time))
    }
}

impl From<SystemTime> for CaveatContext {
    /// The same as [`CaveatContext::at_system_time`].
    fn from(time: SystemTime) -> Self {
        CaveatContext::at_system_time(time)
    }
}
