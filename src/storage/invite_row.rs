//! An invite record as a row of `invite_tokens`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::num::NonZeroU64;

use crate::invite::{InviteRecord, InviteTarget, SecretBytes, UsageLimit};

use super::columns::{self, ColumnError};

/// An [`InviteRecord`] as a row of `invite_tokens`, in plain column types, its fields in the
/// order of the columns of [`SELECT_INVITE`](super::SELECT_INVITE) and the parameters of
/// [`INSERT_INVITE`](super::INSERT_INVITE). Convert with `TryFrom` both ways; the conversions
/// are the only row mapping a server needs.
///
/// The secret is zeroized when the row is dropped, and `Debug` never prints it.
///
/// ```
/// use onezone_tokens::invite::InviteRecord;
/// use onezone_tokens::storage::{ColumnError, InviteRow};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let json = r#"{"tokenId":"t1","secret":"","groupId":"g1","issuer":"alice","target":"userJoinGroup",
/// #   "usageLimit":1,"usageCount":0,"privileges":["group_view"],"createdAt":0,"validUntil":60}"#;
/// let mut record: InviteRecord = serde_json::from_str(json)?;
/// let row = InviteRow::try_from(&record)?;
/// assert_eq!((row.target.as_str(), row.usage_limit, row.privileges), ("ujg", Some(1), 2048)); // group_view
/// assert_eq!(InviteRecord::try_from(row)?, record);
///
/// record.valid_until = u64::MAX; // the library allows it; a BIGINT column does not
/// let refused = InviteRow::try_from(&record).unwrap_err();
/// assert_eq!(refused, ColumnError::OutOfRange { column: "invite_tokens.valid_until", value: u64::MAX });
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct InviteRow {
    /// `token_id TEXT`.
    pub token_id: String,
    /// `secret BYTEA`: the per-token secret (empty when derived from a master key).
    pub secret: Vec<u8>,
    /// `group_id TEXT`.
    pub group_id: String,
    /// `issuer TEXT`: the issuing user's id.
    pub issuer: String,
    /// `target TEXT`: [`InviteTarget::code`], `"ujg"` or `"gjg"`.
    pub target: String,
    /// `usage_limit BIGINT`, NULL for infinity.
    pub usage_limit: Option<i64>,
    /// `usage_count BIGINT`.
    pub usage_count: i64,
    /// `privileges`, read and bound as `BIGINT`: [`PrivilegeSet::bits`](crate::group::PrivilegeSet::bits).
    pub privileges: i64,
    /// `created_at BIGINT`, Unix seconds.
    pub created_at: i64,
    /// `valid_until BIGINT`, Unix seconds.
    pub valid_until: i64,
    /// `revoked BOOLEAN`.
    pub revoked: bool,
}

impl TryFrom<&InviteRecord> for InviteRow {
    type Error = ColumnError;

    /// # Errors
    /// [`ColumnError::OutOfRange`] naming the first number past `i64::MAX`.
    fn try_from(record: &InviteRecord) -> Result<InviteRow, ColumnError> {
        let usage_limit = match record.usage_limit {
            UsageLimit::Limited(n) => Some(columns::signed("invite_tokens.usage_limit", n.get())?),
            UsageLimit::Infinity => None,
        };
        Ok(InviteRow {
            token_id: record.token_id.clone(),
            secret: record.secret.expose().to_vec(),
            group_id: record.group_id.as_str().into(),
            issuer: record.issuer.as_str().into(),
            target: record.target.code().into(),
            usage_limit,
            usage_count: columns::signed("invite_tokens.usage_count", record.usage_count)?,
            privileges: columns::privileges_to_column(record.privileges),
            created_at: columns::signed("invite_tokens.created_at", record.created_at)?,
            valid_until: columns::signed("invite_tokens.valid_until", record.valid_until)?,
            revoked: record.revoked,
        })
    }
}

impl TryFrom<InviteRow> for InviteRecord {
    type Error = ColumnError;

    /// # Errors
    /// [`ColumnError::Invalid`] naming the first column no record can hold.
    fn try_from(mut row: InviteRow) -> Result<InviteRecord, ColumnError> {
        let invalid = |column| ColumnError::Invalid { column };
        let usage_limit = match row.usage_limit {
            None => UsageLimit::Infinity,
            Some(n) => columns::unsigned("invite_tokens.usage_limit", n)
                .ok()
                .and_then(NonZeroU64::new)
                .map(UsageLimit::Limited)
                .ok_or(invalid("invite_tokens.usage_limit"))?,
        };
        Ok(InviteRecord {
            target: InviteTarget::from_code(&row.target).ok_or(invalid("invite_tokens.target"))?,
            usage_limit,
            usage_count: columns::unsigned("invite_tokens.usage_count", row.usage_count)?,
            privileges: columns::privileges("invite_tokens.privileges", row.privileges)?,
            created_at: columns::unsigned("invite_tokens.created_at", row.created_at)?,
            valid_until: columns::unsigned("invite_tokens.valid_until", row.valid_until)?,
            revoked: row.revoked,
            group_id: columns::group_id(
                "invite_tokens.group_id",
                core::mem::take(&mut row.group_id),
            )?,
            issuer: columns::user_id("invite_tokens.issuer", core::mem::take(&mut row.issuer))?,
            token_id: core::mem::take(&mut row.token_id),
            // Moved, not copied: the row's drop then wipes an empty buffer.
            secret: SecretBytes::new(core::mem::take(&mut row.secret)),
        })
    }
}

impl Drop for InviteRow {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

impl fmt::Debug for InviteRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InviteRow")
            .field("token_id", &self.token_id)
            .field("secret", &"***OMITTED***")
            .field("group_id", &self.group_id)
            .field("issuer", &self.issuer)
            .field("target", &self.target)
            .field("usage_limit", &self.usage_limit)
            .field("usage_count", &self.usage_count)
            .field("privileges", &self.privileges)
            .field("created_at", &self.created_at)
            .field("valid_until", &self.valid_until)
            .field("revoked", &self.revoked)
            .finish()
    }
}
