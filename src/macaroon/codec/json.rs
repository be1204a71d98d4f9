//! The V2 JSON format: written as libmacaroons writes it; read in the dialects of libmacaroons,
//! go-macaroon, pymacaroons and the `macaroon` crate.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::base64;
use crate::macaroon::{Caveat, Error, Limits, Macaroon, Signature};

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
            Some(vid) => Caveat::third_party(id, vid, cl),
            None if cl.as_ref().is_some_and(|l| !l.is_empty()) => {
                return Err(Error::Malformed {
                    reading: "caveat",
                    offset: 0,
                    problem: "a caveat location without a verification id",
                });
            }
            None => Caveat::first_party(id),
        });
    }
    Ok(Macaroon::from_parts(location, identifier, caveats, signature))
}

/// A field written as text when it is UTF-8, else as base64 (`x64`).
#[derive(Serialize)]
#[serde(untagged)]
enum Data<'a> {
    Text(&'a str),
    Base64(String),
}

/// Text only when every reader takes it back unchanged: UTF-8 with nothing JSON must escape
/// (`"`, `\`, control characters). libmacaroons' reader undoes no escape but `\"`, so any such
/// value goes as base64 (`x64`), which every implementation reads.
fn pick(value: &[u8]) -> (bool, Data<'_>) {
    match core::str::from_utf8(value) {
        Ok(s) if !s.chars().any(|c| c == '"' || c == '\\' || c.is_control()) => {
            (true, Data::Text(s))
        }
        _ => (false, Data::Base64(base64::encode_url(value))),
    }
}

/// Writes the libmacaroons JSON form, `{"v":2,"l":..,"i":..,"c":[{"i":..,"l":..}],"s64":..}`.
/// A third-party verification id (binary) is written as `v64`, as go-macaroon and pymacaroons
/// do: libmacaroons writes it raw as `v`, which is not valid JSON for most ids.
pub(crate) fn write(m: &Macaroon<'_>) -> String {
    let mut out = String::with_capacity(64 + 2 * m.identifier().len());
    out.push_str("{\"v\":2");
    if let Some(l) = m.location() {
        push_field(&mut out, "l", l);
    }
    push_field(&mut out, "i", m.identifier());
    out.push_str(",\"c\":[");
    for (n, c) in m.caveats().iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('{');
        push_data(&mut out, "i", c.id());
        if let Some(vid) = c.verification_id() {
            if let Some(l) = c.location() {
                push_field(&mut out, "l", l);
            }
            out.push_str(",\"v64\":");
            push_json(&mut out, &Data::Base64(base64::encode_url(vid)));
        }
        out.push('}');
    }
    out.push_str("],\"s64\":");
    push_json(&mut out, &Data::Base64(base64::encode_url(m.signature().as_bytes())));
    out.push('}');
    out
}

fn push_field(out: &mut String, name: &str, value: &[u8]) {
    out.push(',');
    push_data(out, name, value);
}

fn push_data(out: &mut String, name: &str, value: &[u8]) {
    let (text, data) = pick(value);
    out.push('"');
    out.push_str(name);
    if !text {
        out.push_str("64");
    }
    out.push_str("\":");
    push_json(out, &data);
}

fn push_json(out: &mut String, data: &Data<'_>) {
    // Serializing a string to JSON cannot fail; should it ever, the field is written empty and the
    // token then fails to verify rather than the process panicking.
    if let Ok(s) = serde_json::to_string(data) {
        out.push_str(&s);
    }
}
