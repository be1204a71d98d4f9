//! The V2 JSON format: written as libmacaroons writes it; read in the dialects of libmacaroons,
//! go-macaroon, pymacaroons and the `macaroon` crate.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::base64;
use crate::macaroon::{Error, Limits, Macaroon, RawCaveat, Signature};

/// The `v` field: the number 2 or the string "2".
struct Version;

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Version;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("version 2")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Version, E> {
                if v == 2 { Ok(Version) } else { Err(E::custom("unsupported version, expected 2")) }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Version, E> {
                self.visit_u64(u64::try_from(v).map_err(|_| E::custom("unsupported version"))?)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Version, E> {
                if v == "2" {
                    Ok(Version)
                } else {
                    Err(E::custom("unsupported version, expected 2"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonCaveat<'a> {
    #[serde(borrow, default)]
    i: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    i64: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    l: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    l64: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    v: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    v64: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonMacaroon<'a> {
    #[serde(default)]
    v: Option<Version>,
    #[serde(borrow, default)]
    l: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    l64: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    i: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    i64: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    c: Option<Vec<JsonCaveat<'a>>>,
    #[serde(borrow, default)]
    s: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    s64: Option<Cow<'a, str>>,
}

/// Picks the one representation of a field given as text (`x`) or base64 (`x64`).
fn data<'a>(
    text: Option<Cow<'a, str>>,
    b64: Option<Cow<'a, str>>,
    field: &'static str,
) -> Result<Option<Cow<'a, [u8]>>, Error> {
    match (text, b64) {
        (Some(_), Some(_)) => Err(Error::Malformed {
            reading: field,
            offset: 0,
            problem: "the field is given both as text and as base64",
        }),
        (Some(Cow::Borrowed(s)), None) => Ok(Some(Cow::Borrowed(s.as_bytes()))),
        (Some(Cow::Owned(s)), None) => Ok(Some(Cow::Owned(s.into_bytes()))),
        (None, Some(b)) => {
            base64::decode(b.as_bytes()).map(|bytes| Some(Cow::Owned(bytes))).map_err(|e| match e {
                Error::Base64 { problem, .. } => {
                    Error::Malformed { reading: field, offset: 0, problem }
                }
                other => other,
            })
        }
        (None, None) => Ok(None),
    }
}

pub(crate) fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Macaroon<'a>, Error> {
    limits.check_token(text.len())?;
    let raw: JsonMacaroon<'a> =
        serde_json::from_str(text).map_err(|e| Error::Json { message: e.to_string() })?;
    // `v` was checked while parsing (absent, 2 or "2"); nothing else depends on it.
    let _ = raw.v;
    let location = data(raw.l, raw.l64, "location")?;
    let identifier = data(raw.i, raw.i64, "identifier")?.ok_or(Error::Malformed {
        reading: "identifier",
        offset: 0,
        problem: "missing identifier (\"i\" or \"i64\")",
    })?;
    let signature = data(raw.s, raw.s64, "signature")?.ok_or(Error::Malformed {
        reading: "signature",
        offset: 0,
        problem: "missing signature (\"s\" or \"s64\")",
    })?;
    let signature = Signature::from_slice(&signature).ok_or(Error::Malformed {
        reading: "signature",
        offset: 0,
        problem: "the signature must be 32 bytes",
    })?;
    limits.check_field(identifier.len())?;
    limits.check_field(location.as_ref().map_or(0, |l| l.len()))?;
    let raw_caveats = raw.c.unwrap_or_default();
    limits.check_caveats(raw_caveats.len())?;
    let mut caveats = Vec::with_capacity(raw_caveats.len());
    for c in raw_caveats {
        let id = data(c.i, c.i64, "caveat identifier")?.ok_or(Error::Malformed {
            reading: "caveat identifier",
            offset: 0,
            problem: "missing caveat identifier (\"i\" or \"i64\")",
        })?;
        let vid = data(c.v, c.v64, "caveat verification id")?;
        let cl = data(c.l, c.l64, "caveat location")?;
        for value in [Some(&id), vid.as_ref(), cl.as_ref()].into_iter().flatten() {
            limits.check_field(value.len())?;
        }
        caveats.push(match vid {
            Some(vid) => RawCaveat::third_party(id, vid, cl),
            None if cl.as_ref().is_some_and(|l| !l.is_empty()) => {
                return Err(Error::Malformed {
                    reading: "caveat",
                    offset: 0,
                    problem: "a caveat location without a verification id",
                });
            }
            None => RawCaveat::first_party(id),
        });
    }
    Ok(Macaroon::from_parts(location, identifier, caveats, signature))
}

/// The writer's mirror of [`JsonCaveat`]: each field is either text (`x`) or base64 (`x64`),
/// the absent one skipped, in libmacaroons' order.
#[derive(Serialize)]
struct OutCaveat<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    i: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    i64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    l: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    l64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    v64: Option<String>,
}

/// The writer's mirror of [`JsonMacaroon`].
#[derive(Serialize)]
struct OutMacaroon<'a> {
    v: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    l: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    l64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    i: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    i64: Option<String>,
    c: Vec<OutCaveat<'a>>,
    s64: String,
}

/// A field as text (`x`) when every reader takes it back unchanged: UTF-8 with nothing JSON must
/// escape (`"`, `\`, control characters). libmacaroons' reader undoes no escape but `\"`, so
/// any other value goes as base64 (`x64`), which every implementation reads.
fn field(value: &[u8]) -> (Option<&str>, Option<String>) {
    match core::str::from_utf8(value) {
        Ok(s) if !s.chars().any(|c| c == '"' || c == '\\' || c.is_control()) => (Some(s), None),
        _ => (None, Some(base64::encode_url(value))),
    }
}

/// Writes the libmacaroons JSON form, `{"v":2,"l":..,"i":..,"c":[{"i":..,"l":..}],"s64":..}`.
/// A third-party verification id (binary) is written as `v64`, as go-macaroon and pymacaroons
/// do: libmacaroons writes it raw as `v`, which is not valid JSON for most ids.
///
/// # Errors
/// [`Error::Unencodable`] if `serde_json` refuses the value, which it does not for these
/// structs of strings (a broken invariant, caught by a `debug_assert!` in tests).
pub(crate) fn write(m: &Macaroon<'_>) -> Result<String, Error> {
    let (l, l64) = m.location().map(field).unwrap_or((None, None));
    let (i, i64) = field(m.identifier());
    let c = m
        .caveats()
        .iter()
        .map(|c| {
            let (i, i64) = field(c.id());
            let third_party = c.verification_id();
            let (l, l64) = match (third_party, c.location()) {
                (Some(_), Some(l)) => field(l),
                _ => (None, None),
            };
            OutCaveat { i, i64, l, l64, v64: third_party.map(base64::encode_url) }
        })
        .collect();
    let s64 = base64::encode_url(m.signature().as_bytes());
    let out = OutMacaroon { v: 2, l, l64, i, i64, c, s64 };
    let written = serde_json::to_string(&out);
    debug_assert!(written.is_ok(), "JSON of strings cannot fail: {written:?}");
    written
        .map_err(|_| Error::Unencodable { field: "macaroon", problem: "JSON serialization failed" })
}
