//! Times in messages: Unix seconds as RFC 3339.

use super::*;

/// Unix seconds shown as RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`, as Onezone prints expiry times.
///
/// The date comes from the `time` crate; its `formatting` feature (RFC 3339 output) would pull in
/// `std`, so the fields are written here. RFC 3339 years have four digits: a time after
/// 9999-12-31T23:59:59Z is shown as its Unix seconds instead (`Unix time 253402300800`).
pub(super) struct UtcSeconds(pub(super) u64);

impl fmt::Display for UtcSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = i64::try_from(self.0)
            .ok()
            .and_then(|seconds| time::OffsetDateTime::from_unix_timestamp(seconds).ok())
            .filter(|date| date.year() <= 9999);
        match date {
            Some(date) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                date.year(),
                u8::from(date.month()),
                date.day(),
                date.hour(),
                date.minute(),
                date.second()
            ),
            None => write!(f, "Unix time {}", self.0),
        }
    }
}
