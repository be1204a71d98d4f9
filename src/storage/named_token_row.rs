//! A named token's record as a row of `named_tokens`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::Value;

use crate::invite::NamedTokenRecord;
use crate::token::{Caveat, Subject, TokenType};

use super::columns::{self, ColumnError};

/// A [`NamedTokenRecord`] as a row of `named_tokens`, in plain column types, its fields in the
/// order of the columns of [`SELECT_NAMED_TOKEN`](super::SELECT_NAMED_TOKEN) and the
/// parameters of [`INSERT_NAMED_TOKEN`](super::INSERT_NAMED_TOKEN). Convert with `TryFrom`
/// both ways. No secret: it is derived from a master key.
///
/// ```
/// use onezone_tokens::invite::NamedTokenRecord;
/// use onezone_tokens::storage::NamedTokenRow;
/// use onezone_tokens::token::{Subject, TokenType};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let record = NamedTokenRecord {
///     token_id: "t1".into(), name: "my token".into(), subject: Subject::User("alice".into()),
///     token_type: TokenType::Identity, caveats: vec!["interface = rest".parse()?],
///     custom_metadata: serde_json::from_str(r#"{"app": "x"}"#)?, revoked: false, created_at: 7,
/// };
/// let row = NamedTokenRow::try_from(&record)?;
/// assert_eq!((row.subject.as_str(), row.token_type.as_str()), ("usr-alice", "idn"));
/// assert_eq!(row.caveats, r#"[{"interface":"rest","type":"interface"}]"#);
/// assert_eq!(NamedTokenRecord::try_from(row)?, record);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedTokenRow {
    /// `token_id TEXT`.
    pub token_id: String,
    /// `subject TEXT`: the identifier's subject part (`usr-<id>`).
    pub subject: String,
    /// `name TEXT`.
    pub name: String,
    /// `token_type TEXT`: the identifier's type part (`act`, `idn`, `ujg:<group>:`).
    pub token_type: String,
    /// `caveats TEXT`: a JSON array of Onezone JSON caveats.
    pub caveats: String,
    /// `custom_metadata TEXT`: a JSON object.
    pub custom_metadata: String,
    /// `revoked BOOLEAN`.
    pub revoked: bool,
    /// `created_at BIGINT`, Unix seconds.
    pub created_at: i64,
}

impl TryFrom<&NamedTokenRecord> for NamedTokenRow {
    type Error = ColumnError;

    /// # Errors
    /// [`ColumnError::OutOfRange`] for a creation time past `i64::MAX`.
    fn try_from(record: &NamedTokenRecord) -> Result<NamedTokenRow, ColumnError> {
        let json = |value: Value, column| {
            serde_json::to_string(&value).map_err(|_| ColumnError::Invalid { column })
        };
        let caveats = serde_json::to_value(&record.caveats)
            .map_err(|_| ColumnError::Invalid { column: "named_tokens.caveats" })?;
        Ok(NamedTokenRow {
            token_id: record.token_id.clone(),
            subject: record.subject.to_string(),
            name: record.name.clone(),
            token_type: record.token_type.to_string(),
            caveats: json(caveats, "named_tokens.caveats")?,
            custom_metadata: json(
                Value::Object(record.custom_metadata.clone()),
                "named_tokens.custom_metadata",
            )?,
            revoked: record.revoked,
            created_at: columns::signed("named_tokens.created_at", record.created_at)?,
        })
    }
}

impl TryFrom<NamedTokenRow> for NamedTokenRecord {
    type Error = ColumnError;

    /// # Errors
    /// [`ColumnError::Invalid`] naming the first column no record can hold.
    fn try_from(row: NamedTokenRow) -> Result<NamedTokenRecord, ColumnError> {
        let invalid = |column| ColumnError::Invalid { column };
        let subject: Subject = row.subject.parse().map_err(|_| invalid("named_tokens.subject"))?;
        let token_type: TokenType =
            row.token_type.parse().map_err(|_| invalid("named_tokens.token_type"))?;
        let caveats: Vec<Caveat> =
            serde_json::from_str(&row.caveats).map_err(|_| invalid("named_tokens.caveats"))?;
        let custom_metadata = match serde_json::from_str(&row.custom_metadata) {
            Ok(Value::Object(object)) => object,
            _ => return Err(invalid("named_tokens.custom_metadata")),
        };
        Ok(NamedTokenRecord {
            token_id: row.token_id,
            name: row.name,
            subject,
            token_type,
            caveats,
            custom_metadata,
            revoked: row.revoked,
            created_at: columns::unsigned("named_tokens.created_at", row.created_at)?,
        })
    }
}

/// A generation read from `temporary_token_generations` (`None`: no row, the first
/// generation, 1).
///
/// # Errors
/// [`ColumnError::Invalid`] for a generation below 1.
pub fn generation_from_column(generation: Option<i64>) -> Result<u64, ColumnError> {
    match generation {
        None => Ok(1),
        Some(g) if g >= 1 => columns::unsigned("temporary_token_generations.generation", g),
        Some(_) => Err(ColumnError::Invalid { column: "temporary_token_generations.generation" }),
    }
}
