//! The one rule for the ids Onezone generates (users, groups, providers, tokens, sessions,
//! invite targets): ASCII letters, digits, `-` and `_`. It keeps the separators of identifiers
//! (`/`, `:`) and of caveat lists (`|`), spaces, control characters and non-ASCII text out, so an
//! id reads the same in a token identifier, a caveat and the group model.

/// Whether `c` may appear in an id.
pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The first character of `text` that may not appear in an id, with its byte offset.
pub(crate) fn first_invalid(text: &str) -> Option<(usize, char)> {
    // Ids are ASCII: one branch-free pass over the bytes settles the common case (decoding
    // characters made this check a tenth of a token verification); only a refused id is
    // decoded to find the character to report.
    let ok = text
        .bytes()
        .fold(true, |ok, b| ok & (b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_')));
    if ok {
        return None;
    }
    text.char_indices().find(|&(_, c)| !is_id_char(c))
}

#[cfg(test)]
mod tests {
    use super::first_invalid;

    #[test]
    fn the_id_alphabet() {
        assert_eq!(first_invalid("Abc-09_x"), None);
        assert_eq!(first_invalid(""), None);
        assert_eq!(first_invalid("a|b"), Some((1, '|')));
        assert_eq!(first_invalid("é"), Some((0, 'é')));
        assert_eq!(first_invalid("a b"), Some((1, ' ')));
        assert_eq!(first_invalid("x/y:z"), Some((1, '/')));
    }
}
