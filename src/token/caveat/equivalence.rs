//! The parser against the one it replaced (before the byte-scanning rewrite for issue 18): the
//! previous functions are kept here, unchanged but for their names, as the oracle, and every
//! caveat text — arbitrary, near-valid and valid — must read the same (the same caveat, or the
//! same error value and so the same message) through both.

use super::*;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use core::net::Ipv6Addr;
use proptest::prelude::*;

mod old {
    use super::super::*;

    pub(super) fn parse(text: &str) -> Result<Caveat, CaveatError> {
        if let Some(value) = text.strip_prefix("time < ") {
            let valid_until = parse_decimal(value, u64::MAX)
                .map_err(|problem| CaveatError::invalid(CaveatKind::Time, value, problem))?;
            return Ok(Caveat::Time { valid_until });
        }
        if let Some(list) = text.strip_prefix("ip = ") {
            let whitelist = parse_list(CaveatKind::Ip, list, ip_entry)?;
            return Ok(Caveat::Ip { whitelist });
        }
        if let Some(list) = text.strip_prefix("asn = ") {
            let max = u64::from(u32::MAX);
            let whitelist = parse_list(CaveatKind::Asn, list, |entry| {
                let n = parse_decimal(entry, max).map_err(|problem| {
                    if problem == TOO_LARGE {
                        "an AS number is at most 4294967295"
                    } else {
                        problem
                    }
                })?;
                u32::try_from(n).map_err(|_| "an AS number is at most 4294967295")
            })?;
            return Ok(Caveat::Asn { whitelist });
        }
        for (prefix, filter) in
            [("geo.country = ", ListFilter::Whitelist), ("geo.country != ", ListFilter::Blacklist)]
        {
            if let Some(list) = text.strip_prefix(prefix) {
                let list = parse_list(CaveatKind::Country, list, CountryCode::parse_entry)?;
                return Ok(Caveat::Country { filter, list });
            }
        }
        for (prefix, filter) in
            [("geo.region = ", ListFilter::Whitelist), ("geo.region != ", ListFilter::Blacklist)]
        {
            if let Some(list) = text.strip_prefix(prefix) {
                let list = parse_list(CaveatKind::Region, list, GeoRegion::parse_entry)?;
                return Ok(Caveat::Region { filter, list });
            }
        }
        if let Some(list) = text.strip_prefix("consumer = ") {
            let whitelist = parse_list(CaveatKind::Consumer, list, consumer_entry)?;
            return Ok(Caveat::Consumer { whitelist });
        }
        if let Some(list) = text.strip_prefix("service = ") {
            let whitelist = parse_list(CaveatKind::Service, list, service_entry)?;
            return Ok(Caveat::Service { whitelist });
        }
        if let Some(value) = text.strip_prefix("interface = ") {
            let interface = Interface::parse_value(value)
                .map_err(|problem| CaveatError::invalid(CaveatKind::Interface, value, problem))?;
            return Ok(Caveat::Interface { interface });
        }
        if let Some(list) = text.strip_prefix("api = ") {
            let whitelist = parse_list(CaveatKind::Api, list, ApiMatchspec::parse_entry)?;
            return Ok(Caveat::Api { whitelist });
        }
        if text == "data.readonly" {
            return Ok(Caveat::DataReadonly);
        }
        if let Some(list) = text.strip_prefix("data.path = ") {
            let whitelist = parse_list(CaveatKind::DataPath, list, DataPath::parse_entry)?;
            return Ok(Caveat::DataPath { whitelist });
        }
        if let Some(list) = text.strip_prefix("data.objectid = ") {
            let whitelist = parse_list(CaveatKind::DataObjectId, list, ObjectId::parse_entry)?;
            return Ok(Caveat::DataObjectId { whitelist });
        }
        if text == "authorization = none" {
            return Ok(Caveat::AuthorizationNone);
        }
        Err(CaveatError::Unrecognized)
    }

    pub(super) fn parse_list<T>(
        kind: CaveatKind,
        text: &str,
        parse: impl Fn(&str) -> Result<T, &'static str>,
    ) -> Result<NonEmpty<T>, CaveatError> {
        if text.is_empty() {
            return Err(CaveatError::EmptyList { kind });
        }
        let mut items = Vec::new();
        for (index, entry) in text.split(SEP).enumerate() {
            let item = parse(entry).map_err(|problem| CaveatError::InvalidEntry {
                kind,
                index,
                entry: entry.into(),
                problem,
            })?;
            items.push(item);
        }
        NonEmpty::new(items).ok_or(CaveatError::EmptyList { kind })
    }

    pub(super) fn parse_decimal(text: &str, max: u64) -> Result<u64, &'static str> {
        if text.is_empty() {
            return Err("the number is empty");
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err("not a decimal number (digits only, no sign)");
        }
        if text.len() > 1 && text.starts_with('0') {
            return Err("the number has a leading zero");
        }
        let mut value: u64 = 0;
        for digit in text.bytes() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit - b'0')))
                .ok_or(TOO_LARGE)?;
        }
        if value > max {
            return Err(TOO_LARGE);
        }
        Ok(value)
    }

    /// `IpMask::parse_entry`; the mask is built with the public constructors (its fields are
    /// private to `ip.rs`), which check nothing this has not checked.
    pub(super) fn ip_entry(text: &str) -> Result<IpMask, &'static str> {
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        if addr_text.is_empty() {
            return Err("the address is empty");
        }
        let addr: IpAddr = addr_text.parse().map_err(|_| "not an IPv4 or IPv6 address")?;
        if addr.is_ipv6() && addr.to_string() != addr_text {
            return Err("the address is not in canonical form (no leading zeros; IPv6 in \
                        lower case and compressed as RFC 5952 says)");
        }
        match prefix_text {
            None => Ok(IpMask::host(addr)),
            Some(prefix) => {
                let prefix_len =
                    parse_decimal(prefix, u64::from(width(addr))).map_err(|problem| {
                        if problem == TOO_LARGE {
                            too_long_prefix(addr)
                        } else {
                            "the prefix length is not a decimal number without leading zeros"
                        }
                    })?;
                let prefix_len = u8::try_from(prefix_len).map_err(|_| too_long_prefix(addr))?;
                Ok(IpMask::new(addr, prefix_len).expect("checked above"))
            }
        }
    }

    /// `Consumer::parse_entry`, built with `Consumer::new` (the same `check_id`).
    pub(super) fn consumer_entry(text: &str) -> Result<Consumer, &'static str> {
        let (kind, id) = if let Some(id) = text.strip_prefix("usr-") {
            (ConsumerKind::User, id)
        } else if let Some(id) = text.strip_prefix("grp-") {
            (ConsumerKind::Group, id)
        } else if let Some(id) = text.strip_prefix("prv-") {
            (ConsumerKind::Provider, id)
        } else {
            return Err("a consumer is usr-<id>, grp-<id> or prv-<id>");
        };
        check_id(id)?;
        Ok(Consumer::new(kind, id).expect("checked above"))
    }

    /// `Service::parse_entry`, built with `Service::new` (the same `check_id`).
    pub(super) fn service_entry(text: &str) -> Result<Service, &'static str> {
        const SHAPE: &str = "a service is ozw-<id>, ozp-<id>, opw-<id> or opp-<id>";
        let (prefix, id) = text.split_once('-').ok_or(SHAPE)?;
        let kind = ServiceKind::from_shortname(prefix).ok_or(SHAPE)?;
        check_id(id)?;
        Ok(Service::new(kind, id).expect("checked above"))
    }
}

/// Both parsers read `text` the same; errors are compared as values and as messages.
fn same(text: &str) -> Result<(), TestCaseError> {
    let new = Caveat::parse(text);
    let old = old::parse(text);
    prop_assert_eq!(&new, &old, "{:?}", text);
    if let (Err(new), Err(old)) = (&new, &old) {
        prop_assert_eq!(new.to_string(), old.to_string());
    }
    Ok(())
}

/// Every prefix the parser knows, near misses of them, and no prefix.
const PREFIXES: &[&str] = &[
    "time < ",
    "ip = ",
    "asn = ",
    "geo.country = ",
    "geo.country != ",
    "geo.region = ",
    "geo.region != ",
    "consumer = ",
    "service = ",
    "interface = ",
    "api = ",
    "data.path = ",
    "data.objectid = ",
    "data.readonly",
    "authorization = none",
    "",
    "time <",
    "time  < ",
    "Time < ",
    "ip =",
    "ip  = ",
    "i",
    "consumer =",
    "interface =",
    "data.",
    "authorization = ",
    "geo.country ",
    "asn",
];

/// An IPv4 address as text, written right or slightly wrong.
fn ipv4_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")),
        // Leading zeros, 3+ digit octets, values above 255, missing or extra octets.
        "[0-9]{0,4}(\\.[0-9]{0,4}){0,4}",
        (any::<[u8; 4]>(), 0usize..4).prop_map(|(o, z)| {
            let mut parts: Vec<String> = o.iter().map(|b| b.to_string()).collect();
            parts[z] = format!("0{}", parts[z]);
            parts.join(".")
        }),
        "[0-9. +x:-]{0,16}",
    ]
}

/// An IPv6 address as text: canonical, spelled out, upper case, IPv4-mapped, or broken.
fn ipv6_text() -> impl Strategy<Value = String> {
    let sparse = (0u16..3, 0u16..3, any::<u16>())
        .prop_map(|(a, b, c)| Ipv6Addr::new(a, 0, 0, b, 0, 0, 0, c));
    let addr = prop_oneof![any::<u128>().prop_map(Ipv6Addr::from), sparse];
    prop_oneof![
        addr.clone().prop_map(|a| a.to_string()),
        addr.clone().prop_map(|a| a.to_string().to_uppercase()),
        addr.clone().prop_map(|a| {
            let s = a.segments();
            format!(
                "{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
                s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
            )
        }),
        addr.prop_map(|a| {
            let s = a.segments();
            format!("{:04x}:{:04x}:{:x}::{:x}", s[0], s[1], s[2], s[7])
        }),
        any::<[u8; 4]>().prop_map(|[a, b, c, d]| format!("::ffff:{a}.{b}.{c}.{d}")),
        "[0-9a-fA-F:.]{0,20}",
    ]
}

/// A mask: an address, maybe with a prefix length written right or wrong.
fn mask_text() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        Just(String::new()),
        (0u8..=130).prop_map(|p| format!("/{p}")),
        "/[0-9+-]{0,4}",
        Just("/".to_string()),
        Just("//8".to_string()),
    ];
    (prop_oneof![ipv4_text(), ipv6_text()], prefix).prop_map(|(a, p)| a + &p)
}

/// A consumer or a service, right or slightly wrong.
fn consumer_text() -> impl Strategy<Value = String> {
    ("(usr|grp|prv|usx|us|ozw|ozp|opw|opp|op|opé|oppp|)(-|)", "[a-zA-Z0-9*_é .-]{0,10}")
        .prop_map(|(p, id)| p + &id)
}

/// Numbers as Onezone writes them, and near misses: leading zeros, signs, 20+ digits.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        // `/` and `:` are the bytes either side of the digits.
        "[+-]?0{0,2}[0-9]{0,22}[a-z :/]?",
        "[0-9]{1,3}[:/][0-9]{0,3}",
        // Around the multiples of 2^64, where the product and the sum can both wrap.
        (1u128..6, 0u128..64, any::<bool>())
            .prop_map(|(k, x, below)| if below { (k << 64) - x - 1 } else { (k << 64) + x })
            .prop_map(|n| n.to_string()),
        // The longest numbers read without overflow checks, and the shortest read with them.
        Just("9999999999999999999".to_string()),
        Just("10000000000000000000".to_string()),
        Just("99999999999999999999".to_string()),
        Just("18446744073709551615".to_string()),
        Just("18446744073709551616".to_string()),
        Just("4294967296".to_string()),
    ]
}

/// One list entry of any kind, or an arbitrary one.
fn entry_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => mask_text(),
        2 => consumer_text(),
        2 => number_text(),
        1 => "rest|graphsync|oneclient|REST|rest |".prop_map(String::from),
        1 => "DE|PT|de|EU|Africa|Asia|SouthAmerica".prop_map(String::from),
        1 => "\\PC{0,8}",
        1 => Just(String::new()),
    ]
}

/// A caveat's text: a prefix and a list of entries joined with `|` (sometimes `||` or a `|` at
/// either end).
fn caveat_text() -> impl Strategy<Value = String> {
    let sep = prop_oneof![8 => Just("|"), 1 => Just("||"), 1 => Just(" | ")];
    (
        proptest::sample::select(PREFIXES),
        proptest::collection::vec((entry_text(), sep), 0..5),
        proptest::option::of(Just("|")),
    )
        .prop_map(|(prefix, entries, lead)| {
            let mut text = String::from(prefix);
            text.push_str(lead.unwrap_or(""));
            for (i, (entry, sep)) in entries.iter().enumerate() {
                if i > 0 {
                    text.push_str(sep);
                }
                text.push_str(entry);
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn near_valid_caveats_read_as_before(text in caveat_text()) {
        same(&text)?;
    }

    #[test]
    fn arbitrary_text_reads_as_before(
        prefix in proptest::sample::select(PREFIXES),
        body in "\\PC{0,24}",
    ) {
        same(&body)?;
        same(&format!("{prefix}{body}"))?;
    }

    #[test]
    fn ip_masks_read_as_before(text in mask_text()) {
        prop_assert_eq!(IpMask::parse_entry(&text), old::ip_entry(&text), "{:?}", text);
        same(&format!("ip = {text}"))?;
    }

    #[test]
    fn the_ipv4_reader_is_cores(text in prop_oneof![ipv4_text(), "\\PC{0,16}"]) {
        prop_assert_eq!(parse_ipv4(text.as_bytes()), text.parse::<Ipv4Addr>().ok(), "{:?}", text);
    }

    #[test]
    fn printing_in_place_is_to_string(text in prop_oneof![ipv6_text(), ipv4_text()]) {
        if let Ok(addr) = text.parse::<IpAddr>() {
            prop_assert_eq!(prints_as(&addr, &text), addr.to_string() == text);
            let printed = addr.to_string();
            prop_assert!(prints_as(&addr, &printed));
            // A proper prefix or an extension of the printed text is not it.
            prop_assert!(!prints_as(&addr, &printed[..printed.len() - 1]));
            let longer = format!("{printed}0");
            prop_assert!(!prints_as(&addr, &longer));
        }
    }

    #[test]
    fn consumers_read_as_before(text in consumer_text()) {
        prop_assert_eq!(Consumer::parse_entry(&text), old::consumer_entry(&text), "{:?}", text);
        prop_assert_eq!(Service::parse_entry(&text), old::service_entry(&text), "{:?}", text);
        same(&format!("consumer = {text}"))?;
        same(&format!("service = {text}"))?;
    }

    #[test]
    fn numbers_read_as_before(text in number_text(), max in prop_oneof![
        Just(u64::MAX), Just(u64::from(u32::MAX)), Just(32u64), Just(128u64), any::<u64>(),
    ]) {
        prop_assert_eq!(parse_decimal(&text, max), old::parse_decimal(&text, max), "{:?}", text);
        same(&format!("time < {text}"))?;
        same(&format!("asn = {text}"))?;
    }

    #[test]
    fn entries_are_str_split(text in "[a|é/]{0,12}") {
        let entries: Vec<&str> = entries(&text).collect();
        let split: Vec<&str> = text.split('|').collect();
        prop_assert_eq!(entries, split);
    }

    #[test]
    fn lists_split_as_before(text in "[a|é]{0,12}") {
        let entry = |e: &str| if e.contains('é') { Err("é") } else { Ok(e.len()) };
        prop_assert_eq!(
            parse_list(CaveatKind::Asn, &text, entry),
            old::parse_list(CaveatKind::Asn, &text, entry),
            "{:?}", text
        );
    }
}

/// A list is reserved once, at its number of entries (up to 16, then it grows as a `Vec` does);
/// one entry is kept inline, with no allocation.
#[test]
fn lists_are_reserved_at_their_size() {
    let ips = |n: usize| {
        let list: Vec<String> = (0..n).map(|i| format!("10.0.0.{i}")).collect();
        match Caveat::parse(&format!("ip = {}", list.join("|"))) {
            Ok(Caveat::Ip { whitelist }) => {
                assert_eq!(whitelist.len(), n);
                whitelist.reserved()
            }
            other => panic!("{other:?}"),
        }
    };
    assert_eq!([ips(1), ips(2), ips(5), ips(16)], [0, 2, 5, 16]);
    assert!(ips(17) >= 17);
}

/// The forms named in the rewrite's reasoning, checked by name (the generators reach them, but
/// not surely in every run).
#[test]
fn named_edge_cases_read_as_before() {
    for text in [
        "ip = 010.0.0.1",
        "ip = 0.0.0.0",
        "ip = 255.255.255.255/32",
        "ip = 256.0.0.1",
        "ip = 1.2.3",
        "ip = 1.2.3.4.5",
        "ip = 1.2.3.4/",
        "ip = 1.2.3.4/08",
        "ip = 1.2.3.4/33",
        "ip = 1.2.3.4/300",
        "ip = 1.2.3.4//8",
        "ip = /8",
        "ip = 1234.0.0.1",
        "ip = 1.2.3.4 ",
        "ip = ::ffff:1.2.3.4",
        "ip = ::FFFF:1.2.3.4",
        "ip = 2001:db8::/32",
        "ip = 2001:DB8::/32",
        "ip = 2001:0db8::/32",
        "ip = 2001:db8:0:0:0:0:0:1",
        "ip = ::1|10.0.0.0/8",
        "ip = |",
        "ip = 10.0.0.0/8|",
        "ip = ",
        "time < ",
        "time < 0",
        "time < 00",
        "time < 18446744073709551615",
        "time < 18446744073709551616",
        "time < 99999999999999999999x",
        // 2^65: multiplying by 10 and adding the last digit both wrap, to 0.
        "time < 36893488147419103232",
        "time < 1:",
        "time < 1/",
        "time < :",
        "ip = 1.2.3.4/3:",
        "ip = 1.2.3.:",
        "time < +1",
        "asn = 4294967296",
        "consumer = usr-",
        "consumer = usr-*",
        "consumer = grp-é",
        "consumer = usr",
        "consumer = usr-a|",
        "service = opw-*",
        "service = opw",
        "service = opw-",
        "service = op-w",
        "service = opé-x",
        "service = ozw-onezone|opp-x-y",
        "interface = rest|rest",
        "interface = ",
        "data.readonly",
        "data.readonly ",
        "authorization = none",
        "",
        "x",
    ] {
        let new = Caveat::parse(text);
        assert_eq!(new, old::parse(text), "{text:?}");
    }
    assert_eq!(parse_ipv4(b"1.2.3.4"), Some(Ipv4Addr::new(1, 2, 3, 4)));
    assert_eq!(vec![parse_ipv4(b"01.2.3.4"), parse_ipv4(b"1.2.3.")], vec![None, None]);
}
