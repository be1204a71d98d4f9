//! The queries of [`Tx`], written once over a small driver seam: a backend only runs a
//! statement with plain parameters and hands back plain columns ([`Driver`]); every statement,
//! every row mapping and every lock decision is here (and in the library's
//! `onezone_tokens::storage`), the same for SQLite and PostgreSQL.

use onezone_tokens::group::{
    ChildRow, Group, GroupId, GroupType, MembershipRow, PrivilegeSet, UserId,
};
use onezone_tokens::invite::{InviteRecord, NamedTokenRecord, TokenUse};
use onezone_tokens::storage::{
    self, ColumnError, Dialect, InviteRow, NamedTokenRow, PrivilegeRows,
};
use onezone_tokens::token::Subject;

use super::sql;
use super::{StoreError, Tx};

/// A parameter, in the contract's plain types.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Text(&'a str),
    OptText(Option<&'a str>),
    Int(i64),
    OptInt(Option<i64>),
    Bytes(&'a [u8]),
    Bool(bool),
}

/// A column value as read. (SQLite has no boolean: it answers 0 or 1.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
}

/// One row of a result.
pub type Row = Vec<Column>;

/// What a backend does for one open transaction: run a statement, say which SQL dialect it
/// speaks (the locks). Errors are classified by the backend (unavailable or failed).
pub trait Driver {
    /// The database the statements run on.
    fn dialect(&self) -> Dialect;
    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError>;
    /// Runs a query; its rows.
    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError>;
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

impl From<ColumnError> for StoreError {
    fn from(e: ColumnError) -> Self {
        match e {
            ColumnError::OutOfRange { .. } => StoreError::DoesNotFit(e),
            e => corrupt(e),
        }
    }
}

/// Column `i` of `row`, taken out.
fn take(row: &mut Row, i: usize) -> Result<Column, StoreError> {
    row.get_mut(i).map(|c| std::mem::replace(c, Column::Null)).ok_or_else(|| corrupt("row"))
}

fn int(row: &mut Row, i: usize) -> Result<i64, StoreError> {
    match take(row, i)? {
        Column::Int(n) => Ok(n),
        other => Err(corrupt(format_args!("column {i}: {other:?} for an integer"))),
    }
}

fn opt_int(row: &mut Row, i: usize) -> Result<Option<i64>, StoreError> {
    match take(row, i)? {
        Column::Null => Ok(None),
        Column::Int(n) => Ok(Some(n)),
        other => Err(corrupt(format_args!("column {i}: {other:?} for an integer"))),
    }
}

fn text(row: &mut Row, i: usize) -> Result<String, StoreError> {
    match take(row, i)? {
        Column::Text(t) => Ok(t),
        _ => Err(corrupt(format_args!("column {i}: not text"))),
    }
}

fn opt_text(row: &mut Row, i: usize) -> Result<Option<String>, StoreError> {
    match take(row, i)? {
        Column::Null => Ok(None),
        Column::Text(t) => Ok(Some(t)),
        _ => Err(corrupt(format_args!("column {i}: not text"))),
    }
}

fn bytes(row: &mut Row, i: usize) -> Result<Vec<u8>, StoreError> {
    match take(row, i)? {
        Column::Bytes(b) => Ok(b),
        _ => Err(corrupt(format_args!("column {i}: not bytes"))),
    }
}

fn boolean(row: &mut Row, i: usize) -> Result<bool, StoreError> {
    match take(row, i)? {
        Column::Bool(b) => Ok(b),
        Column::Int(0) => Ok(false),
        Column::Int(1) => Ok(true),
        other => Err(corrupt(format_args!("column {i}: {other:?} for a boolean"))),
    }
}

fn invite_row(mut r: Row) -> Result<InviteRecord, StoreError> {
    let row = InviteRow {
        token_id: text(&mut r, 0)?,
        secret: bytes(&mut r, 1)?,
        group_id: text(&mut r, 2)?,
        issuer: text(&mut r, 3)?,
        target: text(&mut r, 4)?,
        usage_limit: opt_int(&mut r, 5)?,
        usage_count: int(&mut r, 6)?,
        privileges: int(&mut r, 7)?,
        created_at: int(&mut r, 8)?,
        valid_until: int(&mut r, 9)?,
        revoked: boolean(&mut r, 10)?,
    };
    Ok(InviteRecord::try_from(row)?)
}

fn named_token_row(mut r: Row) -> Result<NamedTokenRecord, StoreError> {
    let row = NamedTokenRow {
        token_id: text(&mut r, 0)?,
        subject: text(&mut r, 1)?,
        name: text(&mut r, 2)?,
        token_type: text(&mut r, 3)?,
        caveats: text(&mut r, 4)?,
        custom_metadata: text(&mut r, 5)?,
        revoked: boolean(&mut r, 6)?,
        created_at: int(&mut r, 7)?,
    };
    Ok(NamedTokenRecord::try_from(row)?)
}

fn group_id(text: String) -> Result<GroupId, StoreError> {
    GroupId::new(text).map_err(|_| corrupt("group id"))
}

fn user_id(text: String) -> Result<UserId, StoreError> {
    UserId::new(text).map_err(|_| corrupt("user id"))
}

fn bits(privileges: PrivilegeSet) -> Param<'static> {
    Param::Int(storage::privileges_to_column(privileges))
}

/// The helpers every method shares, over any driver.
trait Run: Driver {
    /// The first row, if any.
    fn first(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The one `i64` of a one-row answer (a count).
    fn count(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let mut row = self.first(sql, params)?.ok_or_else(|| corrupt("count"))?;
        Ok(storage::count_from_column(int(&mut row, 0)?)?)
    }

    /// Whether a statement changed exactly one row.
    fn changed_one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<bool, StoreError> {
        Ok(self.execute(sql, params)? == 1)
    }

    /// The privileges of a one-column answer, if any row.
    fn privileges(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Option<PrivilegeSet>, StoreError> {
        let Some(mut row) = self.first(sql, params)? else { return Ok(None) };
        Ok(Some(storage::privileges_from_column(int(&mut row, 0)?)?))
    }

    /// The ids of a one-column answer.
    fn ids<T>(
        &mut self,
        sql: &str,
        key: &str,
        id: impl Fn(String) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = self.query(sql, &[Param::Text(key)])?;
        rows.into_iter().map(|mut row| id(text(&mut row, 0)?)).collect()
    }

    fn invites(&mut self, sql: &str, key: &str) -> Result<Vec<InviteRecord>, StoreError> {
        self.query(sql, &[Param::Text(key)])?.into_iter().map(invite_row).collect()
    }
}

impl<D: Driver + ?Sized> Run for D {}

impl<D: Driver> Tx for D {
    fn user_hash(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        let Some(mut row) = self.first(sql::USER_HASH, &[Param::Text(name)])? else {
            return Ok(None);
        };
        text(&mut row, 0).map(Some)
    }

    fn set_user(&mut self, name: &str, hash: &str) -> Result<(), StoreError> {
        self.execute(sql::SET_USER, &[Param::Text(name), Param::Text(hash)]).map(drop)
    }

    fn user_count(&mut self) -> Result<u64, StoreError> {
        self.count(sql::USER_COUNT, &[])
    }

    fn lock_user(&mut self, user: &UserId) -> Result<(), StoreError> {
        match self.dialect().lock_user() {
            Some(lock) => self.execute(lock, &[Param::Text(user.as_str())]).map(drop),
            None => Ok(()),
        }
    }

    fn group(&mut self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let Some(mut row) = self.first(storage::SELECT_GROUP, &[Param::Text(id.as_str())])? else {
            return Ok(None);
        };
        let name = text(&mut row, 0)?;
        let group_type: GroupType =
            text(&mut row, 1)?.parse().map_err(|_| corrupt("group type"))?;
        Ok(Some(Group { id: id.clone(), name, group_type }))
    }

    fn insert_group(
        &mut self,
        group: &Group,
        creator: Option<&UserId>,
    ) -> Result<bool, StoreError> {
        let kind = group.group_type.to_string();
        self.changed_one(
            storage::INSERT_GROUP,
            &[
                Param::Text(group.id.as_str()),
                Param::Text(&group.name),
                Param::Text(&kind),
                Param::OptText(creator.map(UserId::as_str)),
            ],
        )
    }

    fn groups_created_by(&mut self, user: &UserId, at_most: u64) -> Result<u64, StoreError> {
        let params = [Param::Text(user.as_str()), Param::Int(storage::bound(at_most))];
        self.count(storage::GROUPS_CREATED_BY, &params)
    }

    fn membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
    ) -> Result<Option<PrivilegeSet>, StoreError> {
        let params = [Param::Text(group.as_str()), Param::Text(user.as_str())];
        self.privileges(storage::SELECT_MEMBERSHIP, &params)
    }

    fn insert_membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<bool, StoreError> {
        let params = [Param::Text(group.as_str()), Param::Text(user.as_str()), bits(privileges)];
        self.changed_one(storage::INSERT_MEMBERSHIP, &params)
    }

    fn update_membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<(), StoreError> {
        let params = [bits(privileges), Param::Text(group.as_str()), Param::Text(user.as_str())];
        self.execute(sql::UPDATE_MEMBERSHIP, &params).map(drop)
    }

    fn members(&mut self, group: &GroupId) -> Result<Vec<UserId>, StoreError> {
        self.ids(sql::MEMBERS, group.as_str(), user_id)
    }

    fn member_count(&mut self, group: &GroupId, at_most: u64) -> Result<u64, StoreError> {
        let params = [Param::Text(group.as_str()), Param::Int(storage::bound(at_most))];
        self.count(storage::MEMBER_COUNT, &params)
    }

    fn effective_members(
        &mut self,
        group: &GroupId,
        max_depth: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        let params = [Param::Text(group.as_str()), Param::Int(storage::bound(max_depth))];
        let rows = self.query(sql::EFFECTIVE_MEMBERS, &params)?;
        rows.into_iter().map(|mut row| user_id(text(&mut row, 0)?)).collect()
    }

    fn privilege_rows(
        &mut self,
        user: &UserId,
        group: &GroupId,
        max_depth: usize,
    ) -> Result<(Vec<MembershipRow>, Vec<ChildRow>), StoreError> {
        let params = [
            Param::Text(user.as_str()),
            Param::Text(group.as_str()),
            Param::Int(storage::bound(max_depth)),
        ];
        let mut rows = PrivilegeRows::default();
        for mut row in self.query(storage::EFFECTIVE_PRIVILEGES_SQL, &params)? {
            let (child, parent) = (text(&mut row, 0)?, opt_text(&mut row, 1)?);
            rows.push(user, child, parent, int(&mut row, 2)?)?;
        }
        Ok((rows.memberships, rows.links))
    }

    fn child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
    ) -> Result<Option<PrivilegeSet>, StoreError> {
        let params = [Param::Text(parent.as_str()), Param::Text(child.as_str())];
        self.privileges(storage::SELECT_CHILD_LINK, &params)
    }

    fn insert_child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<bool, StoreError> {
        let params = [Param::Text(parent.as_str()), Param::Text(child.as_str()), bits(privileges)];
        self.changed_one(storage::INSERT_CHILD_LINK, &params)
    }

    fn update_child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<(), StoreError> {
        let params = [bits(privileges), Param::Text(parent.as_str()), Param::Text(child.as_str())];
        self.execute(sql::UPDATE_CHILD_LINK, &params).map(drop)
    }

    fn children(&mut self, group: &GroupId) -> Result<Vec<GroupId>, StoreError> {
        self.ids(sql::CHILDREN, group.as_str(), group_id)
    }

    fn child_count(&mut self, parent: &GroupId, at_most: u64) -> Result<u64, StoreError> {
        let params = [Param::Text(parent.as_str()), Param::Int(storage::bound(at_most))];
        self.count(storage::CHILD_COUNT, &params)
    }

    fn parents(&mut self, group: &GroupId) -> Result<Vec<GroupId>, StoreError> {
        self.ids(sql::PARENTS, group.as_str(), group_id)
    }

    fn groups_of(&mut self, user: &UserId) -> Result<Vec<GroupId>, StoreError> {
        self.ids(sql::USER_GROUPS, user.as_str(), group_id)
    }

    fn group_creator(&mut self, group: &GroupId) -> Result<Option<UserId>, StoreError> {
        let Some(mut row) = self.first(sql::GROUP_CREATOR, &[Param::Text(group.as_str())])? else {
            return Ok(None);
        };
        opt_text(&mut row, 0)?.map(user_id).transpose()
    }

    fn link_rows(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        max_depth: usize,
    ) -> Result<Vec<ChildRow>, StoreError> {
        let params = [
            Param::Text(parent.as_str()),
            Param::Text(child.as_str()),
            Param::Int(storage::bound(max_depth)),
        ];
        let rows = self.query(storage::LINK_SHAPE_SQL, &params)?;
        rows.into_iter()
            .map(|mut row| {
                let (child, parent) = (text(&mut row, 0)?, text(&mut row, 1)?);
                Ok(ChildRow::from_columns(child, parent, int(&mut row, 2)?)?)
            })
            .collect()
    }

    fn lock_links(&mut self) -> Result<(), StoreError> {
        match self.dialect().lock_child_links() {
            Some(lock) => self.execute(lock, &[]).map(drop),
            None => Ok(()),
        }
    }

    fn invite(&mut self, token_id: &str) -> Result<Option<InviteRecord>, StoreError> {
        Ok(self.invites(storage::SELECT_INVITE, token_id)?.into_iter().next())
    }

    fn insert_invite(&mut self, record: &InviteRecord) -> Result<(), StoreError> {
        let row = InviteRow::try_from(record)?;
        let params = [
            Param::Text(&row.token_id),
            Param::Bytes(&row.secret),
            Param::Text(&row.group_id),
            Param::Text(&row.issuer),
            Param::Text(&row.target),
            Param::OptInt(row.usage_limit),
            Param::Int(row.usage_count),
            Param::Int(row.privileges),
            Param::Int(row.created_at),
            Param::Int(row.valid_until),
            Param::Bool(row.revoked),
        ];
        self.execute(storage::INSERT_INVITE, &params).map(drop)
    }

    fn use_token(&mut self, token_use: &TokenUse) -> Result<bool, StoreError> {
        self.changed_one(storage::USE_INVITE, &[Param::Text(&token_use.token_id)])
    }

    fn invite_count(&mut self) -> Result<u64, StoreError> {
        self.count(sql::INVITE_COUNT, &[])
    }

    fn invites_of(&mut self, issuer: &UserId) -> Result<Vec<InviteRecord>, StoreError> {
        self.invites(storage::SELECT_INVITES_OF_ISSUER, issuer.as_str())
    }

    fn invites_in(&mut self, group: &GroupId) -> Result<Vec<InviteRecord>, StoreError> {
        self.invites(storage::SELECT_INVITES_IN_GROUP, group.as_str())
    }

    fn open_invites_of(
        &mut self,
        issuer: &UserId,
        now: u64,
        at_most: u64,
    ) -> Result<u64, StoreError> {
        let params = [
            Param::Text(issuer.as_str()),
            Param::Int(storage::bound(now)),
            Param::Int(storage::bound(at_most)),
        ];
        self.count(storage::OPEN_INVITES_OF, &params)
    }

    fn set_revoked(&mut self, token_id: &str, revoked: bool) -> Result<bool, StoreError> {
        self.changed_one(
            storage::SET_INVITE_REVOKED,
            &[Param::Bool(revoked), Param::Text(token_id)],
        )
    }

    fn delete_invite(&mut self, token_id: &str) -> Result<bool, StoreError> {
        self.changed_one(storage::DELETE_INVITE, &[Param::Text(token_id)])
    }

    fn named_token(&mut self, token_id: &str) -> Result<Option<NamedTokenRecord>, StoreError> {
        let Some(row) = self.first(storage::SELECT_NAMED_TOKEN, &[Param::Text(token_id)])? else {
            return Ok(None);
        };
        named_token_row(row).map(Some)
    }

    fn named_token_by_name(
        &mut self,
        subject: &Subject,
        name: &str,
    ) -> Result<Option<NamedTokenRecord>, StoreError> {
        let subject = subject.to_string();
        let params = [Param::Text(&subject), Param::Text(name)];
        let Some(row) = self.first(storage::SELECT_NAMED_TOKEN_BY_NAME, &params)? else {
            return Ok(None);
        };
        named_token_row(row).map(Some)
    }

    fn named_token_ids(&mut self, subject: &Subject) -> Result<Vec<String>, StoreError> {
        self.ids(storage::SELECT_NAMED_TOKEN_IDS_OF, &subject.to_string(), Ok)
    }

    fn insert_named_token(&mut self, record: &NamedTokenRecord) -> Result<bool, StoreError> {
        let row = NamedTokenRow::try_from(record)?;
        let params = [
            Param::Text(&row.token_id),
            Param::Text(&row.subject),
            Param::Text(&row.name),
            Param::Text(&row.token_type),
            Param::Text(&row.caveats),
            Param::Text(&row.custom_metadata),
            Param::Bool(row.revoked),
            Param::Int(row.created_at),
        ];
        self.changed_one(storage::INSERT_NAMED_TOKEN, &params)
    }

    fn named_token_name_taken(
        &mut self,
        subject: &Subject,
        name: &str,
        token_id: &str,
    ) -> Result<bool, StoreError> {
        let subject = subject.to_string();
        let params = [Param::Text(&subject), Param::Text(name), Param::Text(token_id)];
        let mut row = self
            .first(storage::NAMED_TOKEN_NAME_TAKEN, &params)?
            .ok_or_else(|| corrupt("exists"))?;
        boolean(&mut row, 0)
    }

    fn update_named_token(&mut self, record: &NamedTokenRecord) -> Result<bool, StoreError> {
        let row = NamedTokenRow::try_from(record)?;
        let params = [
            Param::Text(&row.name),
            Param::Text(&row.custom_metadata),
            Param::Bool(row.revoked),
            Param::Text(&row.token_id),
        ];
        self.changed_one(storage::UPDATE_NAMED_TOKEN, &params)
    }

    fn delete_named_token(&mut self, token_id: &str) -> Result<bool, StoreError> {
        self.changed_one(storage::DELETE_NAMED_TOKEN, &[Param::Text(token_id)])
    }

    fn temporary_generation(&mut self, subject: &Subject) -> Result<u64, StoreError> {
        let subject = subject.to_string();
        let row = self.first(storage::SELECT_TEMPORARY_GENERATION, &[Param::Text(&subject)])?;
        let column = match row {
            Some(mut row) => Some(int(&mut row, 0)?),
            None => None,
        };
        Ok(storage::generation_from_column(column)?)
    }

    fn next_temporary_generation(&mut self, subject: &Subject) -> Result<u64, StoreError> {
        let text = subject.to_string();
        self.execute(storage::NEXT_TEMPORARY_GENERATION, &[Param::Text(&text)])?;
        self.temporary_generation(subject)
    }
}
