//! Request bodies read as Onezone reads them: a JSON object, never an array read by position.
//!
//! Serde's derived `Deserialize` of a struct also takes a sequence, its fields by position, and
//! its error messages name the Rust type (`expected struct JoinRequest`). The request types of
//! this crate instead deserialize through [`object_only`], which accepts a map alone; and
//! [`read_object`] reads a whole body, remembering which key's value was being read when a
//! value is refused, so that the message can name it.

use alloc::string::{String, ToString};
use core::cell::RefCell;
use core::fmt;
use core::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::error::Category;

/// Deserializes `T` (in practice a private struct with derived `Deserialize`) from a map only:
/// anything else is "invalid type: ..., expected a JSON object", whatever the format.
pub(crate) fn object_only<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    deserializer.deserialize_map(ObjectVisitor(PhantomData, None))
}

/// Reads a map into `T`; with a `key` cell, records the key whose value is being read.
struct ObjectVisitor<'k, T>(PhantomData<T>, Option<&'k RefCell<KeyInFlight>>);

/// The last key read, and whether its value is being read (not yet read whole). One buffer for
/// every key of a body: no allocation per key once it has grown.
#[derive(Default)]
struct KeyInFlight {
    text: String,
    reading: bool,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        match self.1 {
            Some(key) => T::deserialize(MapAccessDeserializer::new(KeyedMap { map, key })),
            None => T::deserialize(MapAccessDeserializer::new(map)),
        }
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for ObjectVisitor<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// A map whose current key is written down until its value has been read.
struct KeyedMap<'k, A> {
    map: A,
    key: &'k RefCell<KeyInFlight>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for KeyedMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let mut key = self.key.borrow_mut();
        key.text.clear();
        key.reading = false;
        if self.map.next_key_seed(CopyKey(&mut key.text))?.is_none() {
            return Ok(None);
        }
        key.reading = true;
        seed.deserialize(StrDeserializer::new(&key.text)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let value = self.map.next_value_seed(seed)?;
        // Read without error: the key is no longer the one to blame.
        self.key.borrow_mut().reading = false;
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// Copies a map's key (a string) into a buffer.
struct CopyKey<'b>(&'b mut String);

impl<'de> DeserializeSeed<'de> for CopyKey<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for CopyKey<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<(), E> {
        self.0.push_str(key);
        Ok(())
    }
}

/// Why a body was refused by [`read_object`].
#[derive(Debug)]
pub(crate) enum ObjectError {
    /// Nothing but JSON white space (or nothing at all).
    Missing,
    /// JSON, or not, but not an object.
    NotAnObject,
    /// The value of this key was refused (the text says why).
    BadValue { key: String, reason: String },
    /// The body is not JSON, or the object lacks a key; the text says where and why.
    Json(String),
}

/// JSON's four white space bytes (RFC 8259 section 2): a form feed, say, is not one of them.
fn is_json_whitespace(byte: &u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// Whether the body is nothing but JSON white space.
pub(crate) fn is_blank(body: &[u8]) -> bool {
    body.iter().all(is_json_whitespace)
}

/// Reads a whole request body as a JSON object into `T`.
pub(crate) fn read_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, ObjectError> {
    match body.iter().find(|b| !is_json_whitespace(b)) {
        None => return Err(ObjectError::Missing),
        Some(b'{') => {}
        Some(_) => return Err(ObjectError::NotAnObject),
    }
    let key = RefCell::new(KeyInFlight::default());
    let mut reader = serde_json::Deserializer::from_slice(body);
    let read = ObjectVisitor(PhantomData, Some(&key))
        .deserialize(&mut reader)
        .and_then(|value| reader.end().map(|()| value));
    // A value refused, or one that is not JSON (serde_json says "expected value" of a number
    // where an enum's string is due): the key being read is to blame. A body cut short is not
    // the fault of its last key.
    let key = key.into_inner();
    let key = key.reading.then_some(key.text);
    read.map_err(|e| match (e.classify(), key) {
        (Category::Data, Some(key)) => ObjectError::BadValue { key, reason: without_position(&e) },
        (Category::Syntax, Some(key)) => ObjectError::BadValue { key, reason: e.to_string() },
        _ => ObjectError::Json(e.to_string()),
    })
}

/// The error's message without serde_json's position suffix ("at line 1 column 20"), which
/// would read as part of the reason once a key is named.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = alloc::format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(suffix.as_str()) {
        Some(reason) => reason.to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[derive(Debug, PartialEq)]
    struct Pair {
        name: String,
        count: u64,
    }

    impl<'de> Deserialize<'de> for Pair {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(Deserialize)]
            struct Fields {
                name: String,
                #[serde(default)]
                count: u64,
            }
            object_only::<Fields, D>(d).map(|f| Pair { name: f.name, count: f.count })
        }
    }

    #[test]
    fn object_only_refuses_what_is_not_a_map() {
        let ok: Pair = serde_json::from_str(r#"{"name": "a", "count": 2, "extra": [1]}"#).unwrap();
        assert_eq!(ok, Pair { name: "a".to_string(), count: 2 });
        for text in [r#"["a", 2]"#, "null", "1", r#""a""#, "true", "[]"] {
            let e = serde_json::from_str::<Pair>(text).unwrap_err().to_string();
            assert!(e.contains("expected a JSON object"), "{text}: {e}");
            assert!(!e.contains("Fields") && !e.contains("struct"), "{text}: {e}");
        }
        // Inside a list too: the objects of a list are not read by position either.
        let e = serde_json::from_str::<Vec<Pair>>(r#"[["a", 2]]"#).unwrap_err().to_string();
        assert!(e.contains("expected a JSON object"), "{e}");
        // A duplicate key is refused, as serde's derived struct refuses it.
        assert!(serde_json::from_str::<Pair>(r#"{"name": "a", "name": "b"}"#).is_err());
    }

    #[test]
    fn read_object_names_the_key_and_no_type() {
        let read = |text: &str| read_object::<Pair>(text.as_bytes());
        assert_eq!(read(r#" {"name": "a"} "#).unwrap(), Pair { name: "a".to_string(), count: 0 });
        match read(r#"{"name": "a", "count": "x"}"#) {
            Err(ObjectError::BadValue { key, reason }) => {
                assert_eq!(key, "count");
                assert_eq!(reason, "invalid type: string \"x\", expected u64");
            }
            other => panic!("{other:?}"),
        }
        match read(r#"{"count": 1}"#) {
            Err(ObjectError::Json(e)) => assert!(e.starts_with("missing field `name`"), "{e}"),
            other => panic!("{other:?}"),
        }
        // A key spelled with an escape is the key it spells.
        match read(r#"{"name": "a", "c\u006funt": "x"}"#) {
            Err(ObjectError::BadValue { key, .. }) => assert_eq!(key, "count"),
            other => panic!("{other:?}"),
        }
        // A value refused after a good one blames its own key, not the one before.
        match read(r#"{"count": 1, "name": 5}"#) {
            Err(ObjectError::BadValue { key, .. }) => assert_eq!(key, "name"),
            other => panic!("{other:?}"),
        }
        for text in ["", " \r\n\t"] {
            assert!(matches!(read(text), Err(ObjectError::Missing)), "{text:?}");
        }
        for text in ["\x0c", "\x0c{}", "[]", r#"["a", 1]"#, "null", "7", "\"a\"", "\u{a0}{}"] {
            assert!(matches!(read(text), Err(ObjectError::NotAnObject)), "{text:?}");
        }
        match read(r#"{"name": "a", "count": tru}"#) {
            Err(ObjectError::BadValue { key, reason }) => {
                assert_eq!(
                    (key.as_str(), reason.as_str()),
                    ("count", "expected ident at line 1 column 27")
                );
            }
            other => panic!("{other:?}"),
        }
        // Past a value read whole, the key is no longer to blame.
        assert!(matches!(read(r#"{"name": "a", "count": 5x}"#), Err(ObjectError::Json(_))));
        for text in [
            "{",
            r#"{"name": "a"} x"#,
            r#"{"name": "a"}{}"#,
            "{\"name\":\"a\"}\x0c",
            r#"{"name": "#,
        ] {
            assert!(matches!(read(text), Err(ObjectError::Json(_))), "{text:?}");
        }
    }
}
