//! Untrusted text in messages. Every error message that quotes input (a caveat, an identifier
//! part, a JSON reader's complaint) shows it through [`Quoted`], so that library users can log
//! messages as they are: no control characters, no invisible ones, no unbounded length.

use core::fmt::{self, Write};

/// Shows untrusted text, or anything displayed from it, in a message:
///
/// * printable ASCII, the space and non-ASCII letters and digits are shown as they are, except
///   `\`, shown as `\\` so that escapes are unambiguous;
/// * everything else (control characters such as `\n` or NUL, format and bidirectional
///   characters, other non-printable or non-alphanumeric characters) is escaped as `\u{..}`;
/// * at most `max` characters of the input are shown, then `…`.
pub(crate) struct Quoted<T> {
    value: T,
    max: usize,
}

impl<T: fmt::Display> Quoted<T> {
    /// A value quoted inside a sentence: an entry, an id, a caveat. At most 64 characters.
    pub(crate) fn short(value: T) -> Self {
        Quoted { value, max: 64 }
    }

    /// A whole message from elsewhere that may quote input (a JSON reader's error, a list of
    /// caveat entries). At most 256 characters.
    pub(crate) fn long(value: T) -> Self {
        Quoted { value, max: 256 }
    }
}

/// Escapes what passes through it into the formatter; stops (with an error it recognizes) once
/// `max` characters are written.
struct Escaper<'a, 'f> {
    out: &'a mut fmt::Formatter<'f>,
    left: usize,
    cut: bool,
}

impl Write for Escaper<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.left == 0 {
                self.cut = true;
                return Err(fmt::Error);
            }
            self.left -= 1;
            if c == '\\' {
                self.out.write_str("\\\\")?;
            } else if c.is_ascii_graphic() || c == ' ' || (!c.is_ascii() && c.is_alphanumeric()) {
                self.out.write_char(c)?;
            } else {
                write!(self.out, "{}", c.escape_unicode())?;
            }
        }
        Ok(())
    }
}

impl<T: fmt::Display> fmt::Display for Quoted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut escaper = Escaper { out: f, left: self.max, cut: false };
        match write!(escaper, "{}", self.value) {
            Err(_) if escaper.cut => f.write_str("…"),
            result => result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Quoted;
    use alloc::format;
    use alloc::string::String;

    #[test]
    fn control_and_invisible_characters_are_escaped() {
        let shown = format!("{}", Quoted::short("time < 1900000000\n\0\u{1b}[2J\u{202e}é\\"));
        assert_eq!(shown, "time < 1900000000\\u{a}\\u{0}\\u{1b}[2J\\u{202e}é\\\\");
        assert!(shown.chars().all(|c| !c.is_control()));
    }

    #[test]
    fn long_text_is_cut() {
        let long: String = "a".repeat(1000);
        assert_eq!(format!("{}", Quoted::short(&long)), format!("{}…", "a".repeat(64)));
        assert_eq!(format!("{}", Quoted::long(&long)).chars().count(), 257);
        assert_eq!(format!("{}", Quoted::short("a".repeat(64))), "a".repeat(64));
    }
}
