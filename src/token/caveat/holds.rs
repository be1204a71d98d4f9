//! The caveats every token carries (time, consumer, interface, ip), checked where their text
//! lies, without building a [`Caveat`]: what [`Verifier::verify`](crate::token::Verifier::verify)
//! asks of each caveat of every token it verifies.
//!
//! Building the caveat cost more than checking it: a `consumer` caveat's entries were copied
//! into their inline ids, then the list into the caveat, then the caveat into its `Result`,
//! each read back at other widths (a stall, `perf`): 45 ns to read `consumer = usr-carol`,
//! 15 more to check it. Here each entry is read and checked where it lies.
//!
//! Only an answer that a caveat holds is given here; anything else (another kind of caveat, a
//! malformed one, one that does not hold) is left to [`Caveat::parse`] and [`Caveat::check`],
//! which say why. The tests hold the two to the same answer.

use super::*;

/// What a caveat that holds says to its verifier: its kind and, for a `time` caveat, its
/// expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Holds {
    /// The caveat's kind ([`Caveat::kind`]).
    pub(crate) kind: CaveatKind,
    /// A `time` caveat's expiry.
    pub(crate) valid_until: Option<u64>,
}

/// `Some` if `text` is a time, consumer, interface or ip caveat that [`Caveat::parse`] reads and
/// that holds in `ctx` ([`Caveat::check`]); `None` if anything else is to be said of it (then
/// parse and check it to know what).
pub(crate) fn holds(text: &str, ctx: &CaveatContext) -> Option<Holds> {
    let holds = |kind, ok: bool| ok.then_some(Holds { kind, valid_until: None });
    // The first byte says which prefix can match (as in `Caveat::parse`).
    match text.as_bytes().first() {
        Some(b't') => {
            let valid_until = parse_decimal(text.strip_prefix("time < ")?, u64::MAX).ok()?;
            let ok = ctx.now != 0 && ctx.now < valid_until;
            ok.then_some(Holds { kind: CaveatKind::Time, valid_until: Some(valid_until) })
        }
        Some(b'c') => {
            let list = text.strip_prefix("consumer = ")?;
            let consumer = ctx.consumer.as_ref()?;
            holds(
                CaveatKind::Consumer,
                every_entry(list, |entry| {
                    let (kind, id) = Consumer::read_entry(entry).ok()?;
                    Some(Consumer::entry_admits(kind, id, consumer, &ctx.consumer_groups))
                })?,
            )
        }
        Some(b'i') => {
            if let Some(value) = text.strip_prefix("interface = ") {
                let interface = Interface::parse_value(value).ok()?;
                return holds(CaveatKind::Interface, ctx.interface == Some(interface));
            }
            let list = text.strip_prefix("ip = ")?;
            let ip = ctx.ip?;
            holds(
                CaveatKind::Ip,
                every_entry(list, |entry| Some(IpMask::parse_entry(entry).ok()?.contains(ip)))?,
            )
        }
        _ => None,
    }
}

/// Reads every entry of the list `list` with `read` (`None`: it does not parse): whether one
/// of them admits, if all of them parse (as [`parse_list`], which refuses an empty list).
#[inline(always)]
fn every_entry(list: &str, mut read: impl FnMut(&str) -> Option<bool>) -> Option<bool> {
    if list.is_empty() {
        return None;
    }
    let mut admitted = false;
    for entry in entries(list) {
        admitted |= read(entry)?;
    }
    Some(admitted)
}

/// For the tests and the fuzz target (`crate::fuzzing::token`): what [`holds`] says of `text`
/// in `ctx` is what the caveat built from it says. It holds exactly when the built caveat holds
/// (of the four kinds read in place), with the same kind and expiry.
pub(crate) fn assert_holds_agrees(text: &str, ctx: &CaveatContext) {
    let built = Caveat::parse(text).ok().map(|caveat| {
        let valid_until = match caveat {
            Caveat::Time { valid_until } => Some(valid_until),
            _ => None,
        };
        (caveat.kind(), valid_until, caveat.check(ctx).is_ok())
    });
    let in_place = [CaveatKind::Time, CaveatKind::Consumer, CaveatKind::Interface, CaveatKind::Ip];
    let holds_built = built
        .filter(|&(kind, _, ok)| ok && in_place.contains(&kind))
        .map(|(kind, valid_until, _)| Holds { kind, valid_until });
    assert_eq!(holds(text, ctx), holds_built, "{text:?} in {ctx:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;
    use proptest::prelude::*;

    /// A list of one to three entries from `pool`, or an empty one.
    fn list(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(pool), 0..4).prop_map(|e| e.join("|"))
    }

    /// Caveat texts of the four kinds read in place, valid and near-valid, from small pools so
    /// that they often hold in the contexts of `contexts()`; others; anything.
    fn texts() -> impl Strategy<Value = String> {
        const NUMBERS: &[&str] = &[
            "0",
            "1",
            "2",
            "10",
            "01",
            "1800000000",
            "18446744073709551615",
            "18446744073709551616",
            "",
            "1x",
            " 2",
            "+3",
        ];
        const CONSUMERS: &[&str] = &[
            "usr-a",
            "usr-b",
            "usr-*",
            "grp-a",
            "grp-b",
            "grp-*",
            "prv-a",
            "prv-*",
            "usr-",
            "xyz-a",
            "usr-a b",
            "usr-\u{e9}",
            "USR-a",
            "",
        ];
        const INTERFACES: &[&str] =
            &["rest", "graphsync", "oneclient", "REST", "rest|graphsync", "", " rest"];
        const MASKS: &[&str] = &[
            "10.0.0.0/8",
            "10.1.2.3",
            "192.168.0.0/16",
            "::1",
            "::/0",
            "::ffff:10.1.2.3",
            "10.0.0.0/33",
            "010.0.0.1",
            "1.2.3.4/",
            "10.0.0.0/08",
            "",
            "0.0.0.0/0",
        ];
        prop_oneof![
            proptest::sample::select(NUMBERS).prop_map(|n| format!("time < {n}")),
            list(CONSUMERS).prop_map(|l| format!("consumer = {l}")),
            proptest::sample::select(INTERFACES).prop_map(|i| format!("interface = {i}")),
            list(MASKS).prop_map(|l| format!("ip = {l}")),
            proptest::sample::select(
                &[
                    "time <  1",
                    "time<1",
                    "consumer =usr-a",
                    "ip=10.0.0.0/8",
                    "interface",
                    "t",
                    "c",
                    "i",
                    "asn = 1",
                    "data.readonly",
                    "geo.country = PL",
                    "",
                ][..]
            )
            .prop_map(String::from),
            "\\PC{0,24}",
        ]
    }

    fn contexts() -> impl Strategy<Value = CaveatContext> {
        let consumers =
            [None, Some("usr-a"), Some("usr-b"), Some("prv-a"), Some("grp-a"), Some("usr-*")];
        let ips =
            [None, Some("10.1.2.3"), Some("192.168.1.1"), Some("::1"), Some("::ffff:10.1.2.3")];
        let interfaces = [None, Some(Interface::Rest), Some(Interface::Graphsync)];
        (
            proptest::sample::select(&[0u64, 1, 2, 9, 10, 11, 1_800_000_000, u64::MAX][..]),
            proptest::sample::select(consumers.to_vec()),
            proptest::sample::subsequence(vec!["a", "b", "*"], 0..=3),
            proptest::sample::select(ips.to_vec()),
            proptest::sample::select(interfaces.to_vec()),
        )
            .prop_map(|(now, consumer, groups, ip, interface)| CaveatContext {
                now,
                consumer: consumer.map(|c| c.parse().unwrap()),
                consumer_groups: groups.into_iter().map(String::from).collect(),
                ip: ip.map(|ip| ip.parse().unwrap()),
                interface,
                ..Default::default()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Read in place, a caveat holds exactly when the caveat built from it holds (for the
        /// four kinds read in place; of the others nothing is said), with the same kind and
        /// expiry.
        #[test]
        fn in_place_holds_when_the_built_caveat_holds(text in texts(), ctx in contexts()) {
            assert_holds_agrees(&text, &ctx);
        }
    }

    /// The caveats Onezone's tokens carry, as they are written, each holding and not.
    #[test]
    fn the_caveats_tokens_carry() {
        let ctx = CaveatContext {
            now: 1_800_000_000,
            consumer: Some("usr-carol".parse().unwrap()),
            consumer_groups: vec!["admins".into()],
            ip: Some("10.1.2.3".parse().unwrap()),
            interface: Some(Interface::Rest),
            ..Default::default()
        };
        let holds_as = |kind, valid_until| Some(Holds { kind, valid_until });
        assert_eq!(
            holds("time < 1800003600", &ctx),
            holds_as(CaveatKind::Time, Some(1_800_003_600))
        );
        assert_eq!(holds("time < 1800000000", &ctx), None, "expired");
        assert_eq!(holds("consumer = usr-carol", &ctx), holds_as(CaveatKind::Consumer, None));
        assert_eq!(
            holds("consumer = usr-bob|grp-admins", &ctx),
            holds_as(CaveatKind::Consumer, None)
        );
        assert_eq!(holds("consumer = usr-bob|grp-users", &ctx), None);
        assert_eq!(holds("consumer = usr-carol|usr-b c", &ctx), None, "an entry does not parse");
        assert_eq!(holds("interface = rest", &ctx), holds_as(CaveatKind::Interface, None));
        assert_eq!(holds("interface = oneclient", &ctx), None);
        assert_eq!(holds("ip = 192.168.0.0/16|10.0.0.0/8", &ctx), holds_as(CaveatKind::Ip, None));
        assert_eq!(holds("ip = 192.168.0.0/16", &ctx), None);
        assert_eq!(holds("data.readonly", &ctx), None, "not read in place");
        let unknown = CaveatContext { now: 0, consumer: None, ip: None, interface: None, ..ctx };
        for text in
            ["time < 1800003600", "consumer = usr-carol", "interface = rest", "ip = 10.0.0.0/8"]
        {
            assert_eq!(holds(text, &unknown), None, "{text} with nothing known");
        }
    }
}
