//! Data paths and object ids, for `data.*` caveats.

use super::*;

/// A canonical data path of a `data.path` caveat: `/<space id>[/<name>...]`, without a trailing
/// slash (`/74ab36db1f4d3b4da4d2eb7b64d60dfc/dir1/file.txt`). UTF-8.
///
/// `Display` shows the path itself; both caveat forms carry it as standard, padded base64
/// ([`DataPath::to_base64`]), as Onezone writes it. It allows access to the path and everything
/// below it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataPath(pub(super) String);

impl DataPath {
    /// A path, checked as Onezone checks it: starts with `/`, names a space (so it is not just
    /// `/`), does not end with `/`.
    pub fn new(path: impl Into<String>) -> Result<Self, CaveatError> {
        let path = path.into();
        match Self::check(&path) {
            Ok(()) => Ok(DataPath(path)),
            Err(problem) => Err(CaveatError::invalid(CaveatKind::DataPath, &path, problem)),
        }
    }

    /// Reads the base64 form (standard alphabet, with padding, as Onezone writes it).
    pub fn from_base64(text: &str) -> Result<Self, CaveatError> {
        Self::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::DataPath, text, problem))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The base64 form written in caveats.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0.as_bytes())
    }

    /// Whether `path` is this path or below it (`/s/dir` contains `/s/dir` and `/s/dir/f`, not
    /// `/s/directory`).
    pub fn contains(&self, path: &str) -> bool {
        path.strip_prefix(self.0.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    fn check(path: &str) -> Result<(), &'static str> {
        if !path.starts_with('/') {
            Err("the path does not start with `/`")
        } else if path.bytes().all(|b| b == b'/') {
            Err("the path names no space (it must be /<space id>[/...])")
        } else if path.ends_with('/') {
            Err("the path ends with `/`")
        } else {
            Ok(())
        }
    }

    pub(super) fn parse_entry(text: &str) -> Result<Self, &'static str> {
        if text.is_empty() {
            return Err("the entry is empty");
        }
        let bytes = BASE64
            .decode(text)
            .map_err(|_| "not canonical base64 (standard alphabet, with `=` padding)")?;
        let path = String::from_utf8(bytes).map_err(|_| "the decoded path is not UTF-8")?;
        Self::check(&path)?;
        Ok(DataPath(path))
    }
}

impl fmt::Display for DataPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for DataPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for DataPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DataPath::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

/// An object id of a `data.objectid` caveat: the CDMI object id of a file or directory, in
/// hexadecimal (`000000000055D4E4836803640004677569646D...`). It allows access to the object and,
/// for a directory, everything below it. Kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectId(pub(super) String);

impl ObjectId {
    /// The object id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(super) fn parse_entry(text: &str) -> Result<Self, &'static str> {
        if text.is_empty() {
            Err("the object id is empty")
        } else if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Err("an object id is hexadecimal digits")
        } else {
            Ok(ObjectId(text.into()))
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ObjectId {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        ObjectId::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::DataObjectId, text, problem))
    }
}

serde_as_text!(ObjectId);

// The caveat
