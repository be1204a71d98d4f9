//! The three kinds of Onezone tokens and the caveats each accepts.

use core::fmt;

use super::caveat::CaveatKind;
use super::identifier::{TokenIdentifier, TokenType};

/// What a token is for, as Onezone decides which caveats it may carry: an access token, an
/// identity token or an invite token.
///
/// A legacy (version 1) identifier is a named access token: Onezone 20.02 reads every
/// identifier without `/` that way (ctool release/20.02.20 `src/auth/tokens.erl`
/// `from_identifier(1, ..)`), and `token_logic.erl` migrated 17.06 client tokens to it.
///
/// ```
/// use onezone_tokens::token::{CaveatKind, TokenIdentifier, TokenKind};
///
/// let legacy = TokenIdentifier::parse("8HfHARHgklqBkZVI4l6MBTvSSvt98ppp6948s8Q7SOk")?;
/// assert_eq!(TokenKind::of(&legacy), TokenKind::Access);
/// assert!(TokenKind::Access.accepts(CaveatKind::Interface, false));
/// let invite = TokenIdentifier::parse("2/nmd/usr-a/ujg:g1:/t")?;
/// assert_eq!(TokenKind::of(&invite), TokenKind::Invite);
/// assert!(!TokenKind::Invite.accepts(CaveatKind::Interface, false));
/// # Ok::<(), onezone_tokens::token::IdentifierError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// `act` or `act:<sessionId>`, and every legacy identifier: authorizes its subject's
    /// requests.
    Access,
    /// `idn`: proves who its subject is.
    Identity,
    /// `<code>:<targetId>:<params>`: an invitation.
    Invite,
}

/// ctool release/20.02.20 `src/auth/tokens.erl` `DEFAULT_SUPPORTED_ACCESS_TOKEN_CAVEATS`.
const ACCESS: &[CaveatKind] = &[
    CaveatKind::Time,
    CaveatKind::Ip,
    CaveatKind::Asn,
    CaveatKind::Country,
    CaveatKind::Region,
    CaveatKind::Service,
    CaveatKind::Consumer,
    CaveatKind::Interface,
    CaveatKind::Api,
    CaveatKind::DataReadonly,
    CaveatKind::DataPath,
    CaveatKind::DataObjectId,
];

/// ctool release/20.02.20 `src/auth/tokens.erl` `DEFAULT_SUPPORTED_IDENTITY_TOKEN_CAVEATS`.
const IDENTITY: &[CaveatKind] = &[
    CaveatKind::Time,
    CaveatKind::Ip,
    CaveatKind::Asn,
    CaveatKind::Country,
    CaveatKind::Region,
    CaveatKind::Consumer,
    CaveatKind::Interface,
];

/// ctool release/20.02.20 `src/auth/tokens.erl` `DEFAULT_SUPPORTED_INVITE_TOKEN_CAVEATS`.
const INVITE: &[CaveatKind] = &[
    CaveatKind::Time,
    CaveatKind::Ip,
    CaveatKind::Asn,
    CaveatKind::Country,
    CaveatKind::Region,
    CaveatKind::Consumer,
];

/// The bit of `kind` in a set of caveat kinds.
const fn bit(kind: CaveatKind) -> u32 {
    1 << kind as u32
}

/// The set of `kinds`, as bits.
const fn set(mut kinds: &[CaveatKind]) -> u32 {
    let mut set = 0;
    while let [kind, rest @ ..] = kinds {
        set |= bit(*kind);
        kinds = rest;
    }
    set
}

impl TokenKind {
    /// The kind of a token with this identifier (a legacy identifier is an access token).
    pub fn of<S>(identifier: &TokenIdentifier<S>) -> Self {
        match identifier {
            TokenIdentifier::V2(v2) => TokenKind::of_type(&v2.token_type),
            _ => TokenKind::Access,
        }
    }

    /// The kind of a version 2 token type.
    pub fn of_type<S>(token_type: &TokenType<S>) -> Self {
        match token_type {
            TokenType::Identity => TokenKind::Identity,
            TokenType::Invite { .. } => TokenKind::Invite,
            _ => TokenKind::Access,
        }
    }

    /// `access`, `identity` or `invite`, as messages name the kind.
    pub const fn name(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Identity => "identity",
            TokenKind::Invite => "invite",
        }
    }

    /// The caveats a token of this kind may carry, exactly Onezone's `DEFAULT_SUPPORTED_*`
    /// lists (ctool release/20.02.20 `src/auth/tokens.erl`), in their order:
    ///
    /// - access: `time`, `ip`, `asn`, `geo.country`, `geo.region`, `service`, `consumer`,
    ///   `interface`, `api`, `data.readonly`, `data.path`, `data.objectid`;
    /// - identity: `time`, `ip`, `asn`, `geo.country`, `geo.region`, `consumer`, `interface`;
    /// - invite: `time`, `ip`, `asn`, `geo.country`, `geo.region`, `consumer`.
    ///
    /// `authorization = none` is in none of them: see [`TokenKind::accepts`].
    pub const fn supported_caveats(self) -> &'static [CaveatKind] {
        match self {
            TokenKind::Access => ACCESS,
            TokenKind::Identity => IDENTITY,
            TokenKind::Invite => INVITE,
        }
    }

    /// Whether a token of this kind may carry a caveat of kind `caveat` when verified for
    /// full authorization (`identity_only` false) or only to prove its subject's identity
    /// (`identity_only` true, [`CaveatContext::identity_only`](super::CaveatContext)).
    ///
    /// Onezone verifies an access token used only as proof of identity against
    /// `authorization = none` plus the identity-token caveats (the deprecated scope of ctool
    /// `tokens.erl` `verify/3`); otherwise [`TokenKind::supported_caveats`].
    pub fn accepts(self, caveat: CaveatKind, identity_only: bool) -> bool {
        // The lists as bit sets (one bit per kind, built from them at compile time): every
        // caveat of every verification asks.
        const IDENTITY_ONLY: u32 = set(IDENTITY) | bit(CaveatKind::AuthorizationNone);
        let allowed = match (self, identity_only) {
            (TokenKind::Access, true) => IDENTITY_ONLY,
            (TokenKind::Access, false) => const { set(ACCESS) },
            (TokenKind::Identity, _) => const { set(IDENTITY) },
            (TokenKind::Invite, _) => const { set(INVITE) },
        };
        allowed & bit(caveat) != 0
    }

    /// Whether some verification accepts a token of this kind carrying `caveat`: what
    /// [`mint`](super::mint) lets into a token. An access token may carry
    /// `authorization = none` (it then only proves identity).
    pub fn mints(self, caveat: CaveatKind) -> bool {
        self.accepts(caveat, false) || self.accepts(caveat, true)
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const EVERY: [CaveatKind; 13] = [
        CaveatKind::Time,
        CaveatKind::Ip,
        CaveatKind::Asn,
        CaveatKind::Country,
        CaveatKind::Region,
        CaveatKind::Consumer,
        CaveatKind::Service,
        CaveatKind::Interface,
        CaveatKind::Api,
        CaveatKind::DataReadonly,
        CaveatKind::DataPath,
        CaveatKind::DataObjectId,
        CaveatKind::AuthorizationNone,
    ];

    fn names(kind: TokenKind, identity_only: bool) -> Vec<&'static str> {
        EVERY.iter().filter(|c| kind.accepts(**c, identity_only)).map(|c| c.name()).collect()
    }

    /// The lists of ctool release/20.02.20 `src/auth/tokens.erl` (`DEFAULT_SUPPORTED_*`), as
    /// Onezone's JSON names.
    #[test]
    fn caveat_sets_are_onezones() {
        let access = [
            "time",
            "ip",
            "asn",
            "geo.country",
            "geo.region",
            "consumer",
            "service",
            "interface",
            "api",
            "data.readonly",
            "data.path",
            "data.objectid",
        ];
        assert_eq!(names(TokenKind::Access, false), access);
        let identity = ["time", "ip", "asn", "geo.country", "geo.region", "consumer", "interface"];
        assert_eq!(names(TokenKind::Identity, false), identity);
        assert_eq!(names(TokenKind::Identity, true), identity);
        let invite = ["time", "ip", "asn", "geo.country", "geo.region", "consumer"];
        assert_eq!(names(TokenKind::Invite, false), invite);
        assert_eq!(names(TokenKind::Invite, true), invite);
        // An access token proving identity: `cv_scope` plus the identity caveats.
        let mut scoped = identity.to_vec();
        scoped.push("authorizationNone");
        assert_eq!(names(TokenKind::Access, true), scoped);
        assert!(TokenKind::Access.mints(CaveatKind::AuthorizationNone));
        assert!(!TokenKind::Identity.mints(CaveatKind::AuthorizationNone));
        assert!(!TokenKind::Identity.mints(CaveatKind::Service));
        assert!(!TokenKind::Invite.mints(CaveatKind::Interface));
    }

    #[test]
    fn kinds_of_identifiers() {
        let kind = |text: &str| TokenKind::of(&TokenIdentifier::parse(text).unwrap());
        assert_eq!(kind("legacy1"), TokenKind::Access);
        assert_eq!(kind("2/nmd/usr-a/act/t"), TokenKind::Access);
        assert_eq!(kind("2/tmp-1/usr-a/act:sess/t"), TokenKind::Access);
        assert_eq!(kind("2/nmd/usr-a/idn/t"), TokenKind::Identity);
        assert_eq!(kind("2/nmd/usr-a/gji:inv:/t"), TokenKind::Invite);
        assert_eq!(alloc::format!("{}", TokenKind::Identity), "identity");
    }
}
