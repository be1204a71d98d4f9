//! Non-empty lists (the `|`-separated entries of a caveat), numbers and ids.

use super::*;

/// A list with at least one entry, as every list caveat requires.
///
/// Serialized as a plain JSON array; reading an empty array fails. A list of one entry (what
/// most caveats hold) keeps it inline: reading one allocates nothing for the list.
#[derive(Clone)]
pub struct NonEmpty<T>(Entries<T>);

/// The entries of a [`NonEmpty`]: one inline, or two or more in a `Vec` (never fewer).
#[derive(Clone)]
enum Entries<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> NonEmpty<T> {
    /// The list, or `None` if `items` is empty.
    pub fn new(mut items: Vec<T>) -> Option<Self> {
        match items.len() {
            0 => None,
            1 => items.pop().map(NonEmpty::one),
            _ => Some(NonEmpty(Entries::Many(items))),
        }
    }

    /// A list of one entry.
    pub fn one(item: T) -> Self {
        NonEmpty(Entries::One(item))
    }

    /// Adds an entry at the end.
    pub fn push(&mut self, item: T) {
        match &mut self.0 {
            Entries::Many(items) => items.push(item),
            Entries::One(_) => {
                let mut items = Vec::with_capacity(2);
                if let Entries::One(first) =
                    core::mem::replace(&mut self.0, Entries::Many(Vec::new()))
                {
                    items.push(first);
                }
                items.push(item);
                self.0 = Entries::Many(items);
            }
        }
    }

    /// The entries.
    pub fn as_slice(&self) -> &[T] {
        match &self.0 {
            Entries::One(item) => core::slice::from_ref(item),
            Entries::Many(items) => items,
        }
    }

    /// The entries, as a `Vec`.
    pub fn into_vec(self) -> Vec<T> {
        match self.0 {
            Entries::One(item) => alloc::vec![item],
            Entries::Many(items) => items,
        }
    }

    /// How many entries its allocation holds: 0 for one entry, kept inline.
    #[cfg(test)]
    pub(super) fn reserved(&self) -> usize {
        match &self.0 {
            Entries::One(_) => 0,
            Entries::Many(items) => items.capacity(),
        }
    }

    /// The list with `f` applied to each entry.
    pub(super) fn map<U>(self, f: impl FnMut(T) -> U) -> NonEmpty<U> {
        match self.0 {
            Entries::One(item) => NonEmpty(Entries::One({ f }(item))),
            Entries::Many(items) => NonEmpty(Entries::Many(items.into_iter().map(f).collect())),
        }
    }
}

// By the entries, as when the list was a `Vec`: the same `Debug`, equality and hash.
impl<T: fmt::Debug> fmt::Debug for NonEmpty<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NonEmpty").field(&self.as_slice()).finish()
    }
}

impl<T: PartialEq> PartialEq for NonEmpty<T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Eq> Eq for NonEmpty<T> {}

impl<T: core::hash::Hash> core::hash::Hash for NonEmpty<T> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<T> Deref for NonEmpty<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> TryFrom<Vec<T>> for NonEmpty<T> {
    type Error = Vec<T>;

    /// Fails (giving the empty vector back) if `items` is empty.
    fn try_from(items: Vec<T>) -> Result<Self, Vec<T>> {
        if items.is_empty() { Err(items) } else { NonEmpty::new(items).ok_or_else(Vec::new) }
    }
}

impl<T> From<NonEmpty<T>> for Vec<T> {
    fn from(list: NonEmpty<T>) -> Vec<T> {
        list.into_vec()
    }
}

impl<T> IntoIterator for NonEmpty<T> {
    type Item = T;
    type IntoIter = alloc::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl<'a, T> IntoIterator for &'a NonEmpty<T> {
    type Item = &'a T;
    type IntoIter = core::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: Serialize> Serialize for NonEmpty<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NonEmpty<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(deserializer)?;
        NonEmpty::new(items).ok_or_else(|| {
            serde::de::Error::custom("the list is empty; at least one entry is required")
        })
    }
}

/// Writes `items` separated by `sep`, each with `each`.
pub(super) fn write_joined<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    sep: &str,
    each: impl Fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        each(item, f)?;
    }
    Ok(())
}

/// Displays a list as `a, b, c`.
pub(super) struct Listed<'a, T>(pub(super) &'a [T]);

impl<T: fmt::Display> fmt::Display for Listed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// The list as written, before [`Quoted`] escapes and bounds it.
        struct Raw<'a, T>(&'a [T]);
        impl<T: fmt::Display> fmt::Display for Raw<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_joined(f, self.0, ", ", |item, f| fmt::Display::fmt(item, f))
            }
        }
        fmt::Display::fmt(&Quoted::long(Raw(self.0)), f)
    }
}

/// At most this many entries are reserved before any is read: a list is pre-sized to its count
/// of `|` plus one, so that it is allocated once, but a flood of separators must not reserve
/// memory that no valid entry stands for.
const RESERVE_MAX: usize = 16;

/// The `|`-separated entries of `text`, as `text.split('|')` gives them, found by scanning the
/// bytes (`|` is ASCII, so never inside a character): `str::split`'s generic searcher costs more
/// than the entries themselves for the short lists of tokens.
pub(super) fn entries(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    core::iter::from_fn(move || {
        let current = rest?;
        match current.bytes().position(|b| b == SEP_BYTE) {
            Some(at) => {
                let (entry, sep_and_rest) = current.split_at_checked(at)?;
                rest = sep_and_rest.get(1..);
                Some(entry)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// Parses `text` as a `|`-separated, non-empty list.
pub(super) fn parse_list<T>(
    kind: CaveatKind,
    text: &str,
    parse: impl Fn(&str) -> Result<T, &'static str>,
) -> Result<NonEmpty<T>, CaveatError> {
    if text.is_empty() {
        return Err(CaveatError::EmptyList { kind });
    }
    let read = |(index, entry): (usize, &str)| {
        parse(entry).map_err(|problem| CaveatError::InvalidEntry {
            kind,
            index,
            entry: entry.into(),
            problem,
        })
    };
    // One entry (the usual list) is the whole text, and stays inline: no allocation. (Found by
    // a search that stops at the first `|`: counting them first cost a one-entry `consumer`
    // or `ip` caveat 16 to 26 instructions more, callgrind.)
    if !text.bytes().any(|b| b == SEP_BYTE) {
        return Ok(NonEmpty::one(read((0, text))?));
    }
    let seps = text.bytes().filter(|&b| b == SEP_BYTE).count();
    let mut all = entries(text).enumerate();
    let first = read(all.next().ok_or(CaveatError::EmptyList { kind })?)?;
    let mut items = Vec::with_capacity(seps.saturating_add(1).min(RESERVE_MAX));
    items.push(first);
    for entry in all {
        items.push(read(entry)?);
    }
    NonEmpty::new(items).ok_or(CaveatError::EmptyList { kind })
}

// Numbers and ids

/// The problem [`parse_decimal`] reports for a number above its maximum.
pub(super) const TOO_LARGE: &str = "the number is too large";

/// The most decimal digits that cannot overflow a `u64` (`10^19 - 1 < 2^64`): every number
/// of up to this many digits is read without overflow checks.
const MAX_SAFE_DIGITS: usize = 19;

/// Reads a decimal number written the way Onezone writes it: digits only, no sign, no leading
/// zero (except `0` itself).
///
/// One pass over the bytes; the problems keep their precedence (not a number, then a leading
/// zero, then too large), so `0x` is not a number and `99999999999999999999x` neither.
pub(super) fn parse_decimal(text: &str, max: u64) -> Result<u64, &'static str> {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return Err("the number is empty");
    };
    let mut value: u64 = 0;
    let mut digits = true;
    let mut overflow = false;
    if bytes.len() <= MAX_SAFE_DIGITS {
        // No number of this many digits overflows: one multiply-add a digit. (Tracking overflow
        // for every digit took twenty instructions a digit, and every token's expiry has ten.)
        for &b in bytes {
            let digit = b.wrapping_sub(b'0');
            digits &= digit < 10;
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
        }
    } else {
        for &b in bytes {
            let digit = b.wrapping_sub(b'0');
            digits &= digit < 10;
            let (times_ten, o1) = value.overflowing_mul(10);
            let (sum, o2) = times_ten.overflowing_add(u64::from(digit));
            overflow |= o1 | o2;
            value = sum;
        }
    }
    if !digits {
        return Err("not a decimal number (digits only, no sign)");
    }
    if first == b'0' && bytes.len() > 1 {
        return Err("the number has a leading zero");
    }
    if overflow || value > max {
        return Err(TOO_LARGE);
    }
    Ok(value)
}

/// Checks the id part of a consumer or service: `*` (any), or an id as Onezone generates them,
/// the same rule as the ids of token identifiers and of the group model (`crate::id`).
pub(super) fn check_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        Err("the id is empty")
    } else if id != "*" && crate::id::first_invalid(id).is_some() {
        Err("the id has a character other than ASCII letters, digits, `-` and `_` (or is `*`)")
    } else {
        Ok(())
    }
}

// IP masks
