//! A bounds-checked cursor over untrusted bytes: every read returns an error instead of panicking.

use crate::macaroon::Error;

#[derive(Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    /// Byte offset of the next unread byte.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest().is_empty()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.rest().first().copied()
    }

    /// Takes the next `n` bytes, or fails saying what was being read.
    pub(crate) fn take(&mut self, n: usize, reading: &'static str) -> Result<&'a [u8], Error> {
        match self.rest().split_at_checked(n) {
            Some((head, _)) => {
                self.pos += n;
                Ok(head)
            }
            None => Err(Error::Truncated { reading, offset: self.data.len() }),
        }
    }

    pub(crate) fn byte(&mut self, reading: &'static str) -> Result<u8, Error> {
        // Not `ok_or`: its error is built, and dropped by a call, for every byte read.
        let Some(b) = self.peek() else {
            return Err(Error::Truncated { reading, offset: self.pos });
        };
        self.pos += 1;
        Ok(b)
    }
}
