use super::*;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use core::net::{Ipv4Addr, Ipv6Addr};
use proptest::prelude::*;
use serde_json::{Value, json};

fn parse(text: &str) -> Caveat {
    Caveat::parse(text).unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"))
}

fn to_json(caveat: &Caveat) -> Value {
    serde_json::to_value(caveat).unwrap()
}

fn from_json(value: Value) -> Result<Caveat, serde_json::Error> {
    serde_json::from_value(value)
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

fn v6(text: &str) -> IpAddr {
    text.parse().unwrap()
}

// --- the two forms -------------------------------------------------------------------------

/// Canonical strings and the JSON Onezone writes for them.
const EXAMPLES: &[(&str, &str)] = &[
    ("time < 1496140144", r#"{"type":"time","validUntil":1496140144}"#),
    ("time < 0", r#"{"type":"time","validUntil":0}"#),
    (
        "ip = 11.101.11.234/32|10.0.0.0/8",
        r#"{"type":"ip","whitelist":["11.101.11.234/32","10.0.0.0/8"]}"#,
    ),
    (
        "ip = 167.73.12.17|2001:db8::/32|::1|::ffff:10.0.0.1/128|0.0.0.0/0",
        r#"{"type":"ip","whitelist":["167.73.12.17","2001:db8::/32","::1","::ffff:10.0.0.1/128","0.0.0.0/0"]}"#,
    ),
    ("asn = 112|322", r#"{"type":"asn","whitelist":[112,322]}"#),
    ("asn = 0|4294967295", r#"{"type":"asn","whitelist":[0,4294967295]}"#),
    ("geo.country = DE|PT", r#"{"type":"geo.country","filter":"whitelist","list":["DE","PT"]}"#),
    ("geo.country != DE|PT", r#"{"type":"geo.country","filter":"blacklist","list":["DE","PT"]}"#),
    (
        "geo.region = Africa|EU",
        r#"{"type":"geo.region","filter":"whitelist","list":["Africa","EU"]}"#,
    ),
    (
        "geo.region != Africa|Antarctica|Asia|Europe|EU|NorthAmerica|Oceania|SouthAmerica",
        r#"{"type":"geo.region","filter":"blacklist","list":["Africa","Antarctica","Asia","Europe","EU","NorthAmerica","Oceania","SouthAmerica"]}"#,
    ),
    (
        "consumer = usr-d4f5876dbe7f1e7e8a511de6dd31144c|grp-0921135ee61fe53a3df449365228e9b4|prv-*",
        r#"{"type":"consumer","whitelist":["usr-d4f5876dbe7f1e7e8a511de6dd31144c","grp-0921135ee61fe53a3df449365228e9b4","prv-*"]}"#,
    ),
    (
        "service = ozw-onezone|ozp-onezone|opw-*|opp-01c4455bef059353c9dfb35ba93a24f3",
        r#"{"type":"service","whitelist":["ozw-onezone","ozp-onezone","opw-*","opp-01c4455bef059353c9dfb35ba93a24f3"]}"#,
    ),
    ("interface = rest", r#"{"type":"interface","interface":"rest"}"#),
    ("interface = graphsync", r#"{"type":"interface","interface":"graphsync"}"#),
    ("interface = oneclient", r#"{"type":"interface","interface":"oneclient"}"#),
    (
        "api = ozw/all/user.*.*:*|all/get/space.*.*:*|opw/create/file.abc.instance|ozp/delete/group.*.user,*:private|all/all/*.*.*,grp1:auto",
        r#"{"type":"api","whitelist":["ozw/all/user.*.*:*","all/get/space.*.*:*","opw/create/file.abc.instance","ozp/delete/group.*.user,*:private","all/all/*.*.*,grp1:auto"]}"#,
    ),
    ("data.readonly", r#"{"type":"data.readonly"}"#),
    (
        "data.path = L2QxYjM4OGY3Yzc=|L2QxYjM4OGY3YzcvZGlyL2ZpbGUudHh0",
        r#"{"type":"data.path","whitelist":["L2QxYjM4OGY3Yzc=","L2QxYjM4OGY3YzcvZGlyL2ZpbGUudHh0"]}"#,
    ),
    (
        "data.objectid = 000000000055D4E4836803640004677569646D000000167|39592d594e",
        r#"{"type":"data.objectid","whitelist":["000000000055D4E4836803640004677569646D000000167","39592d594e"]}"#,
    ),
    ("authorization = none", r#"{"type":"authorizationNone"}"#),
];

#[test]
fn examples_round_trip_in_both_forms_and_agree() {
    for (text, json_text) in EXAMPLES {
        let caveat = parse(text);
        assert_eq!(caveat.to_string(), *text);
        assert_eq!(caveat.to_caveat_string(), *text);
        assert_eq!(text.parse::<Caveat>().unwrap(), caveat);
        assert_eq!(serde_json::to_string(&caveat).unwrap(), *json_text, "{text}");
        let from: Caveat = serde_json::from_str(json_text).unwrap();
        assert_eq!(from, caveat, "{json_text}");
        assert_eq!(caveat.kind().name(), to_json(&caveat)["type"], "{text}");
    }
}

#[test]
fn examples_decode_to_the_expected_values() {
    assert_eq!(parse("time < 1496140144"), Caveat::Time { valid_until: 1_496_140_144 });
    let Caveat::Ip { whitelist } = parse("ip = 11.101.11.234/32|10.0.0.0/8|::1") else {
        panic!("not ip")
    };
    assert_eq!(whitelist[0].addr(), v4(11, 101, 11, 234));
    assert_eq!(whitelist[0].prefix_len(), 32);
    assert!(!whitelist[0].is_bare());
    assert_eq!(whitelist[1], IpMask::new(v4(10, 0, 0, 0), 8).unwrap());
    assert_eq!(whitelist[2], IpMask::host(v6("::1")));
    assert_eq!(whitelist[2].prefix_len(), 128);
    assert_eq!(
        parse("geo.region != Europe|EU"),
        Caveat::Region {
            filter: ListFilter::Blacklist,
            list: NonEmpty::new(vec![GeoRegion::Europe, GeoRegion::EuropeanUnion]).unwrap(),
        }
    );
    let Caveat::DataPath { whitelist } = parse("data.path = L2QxYjM4OGY3YzcvZGlyL2ZpbGUudHh0")
    else {
        panic!("not data.path")
    };
    assert_eq!(whitelist[0].as_str(), "/d1b388f7c7/dir/file.txt");
    assert_eq!(whitelist[0].to_string(), "/d1b388f7c7/dir/file.txt");
    let Caveat::Api { whitelist } = parse("api = ozw/get/user.*.*") else { panic!("not api") };
    assert_eq!(whitelist[0].service, Some(ServiceKind::OzWorker));
    assert_eq!(whitelist[0].operation, Some(CrudOperation::Get));
    assert_eq!(whitelist[0].gri.entity_type(), "user");
    assert_eq!(whitelist[0].gri.scope(), None);
}

#[test]
fn data_path_json_carries_base64_like_onezone() {
    let caveat = Caveat::DataPath {
        whitelist: NonEmpty::one(DataPath::new("/space 1/dir|with|bars/żółw").unwrap()),
    };
    let text = caveat.to_string();
    let b64 = BASE64.encode("/space 1/dir|with|bars/żółw");
    assert_eq!(text, format!("data.path = {b64}"));
    assert_eq!(to_json(&caveat), json!({"type": "data.path", "whitelist": [b64]}));
    assert_eq!(parse(&text), caveat);
    // A decoded path in the JSON is not Onezone's form and is refused.
    let err = from_json(json!({"type": "data.path", "whitelist": ["/space/dir"]})).unwrap_err();
    assert!(err.to_string().contains("base64"), "{err}");
}

// --- proptest: every type round-trips --------------------------------------------------

fn arb_ip_mask() -> impl Strategy<Value = IpMask> {
    let sparse_v6 = (0u16..3, 0u16..3, any::<u16>())
        .prop_map(|(a, b, c)| IpAddr::V6(Ipv6Addr::new(a, 0, 0, b, 0, 0, 0, c)));
    prop_oneof![
        (any::<u32>(), 0u8..=32)
            .prop_map(|(a, p)| IpMask::new(IpAddr::V4(Ipv4Addr::from(a)), p).unwrap()),
        (any::<u128>(), 0u8..=128)
            .prop_map(|(a, p)| IpMask::new(IpAddr::V6(Ipv6Addr::from(a)), p).unwrap()),
        (sparse_v6, 0u8..=128).prop_map(|(a, p)| IpMask::new(a, p).unwrap()),
        any::<u32>().prop_map(|a| IpMask::host(IpAddr::V4(Ipv4Addr::from(a)))),
        any::<u128>().prop_map(|a| IpMask::host(IpAddr::V6(Ipv6Addr::from(a)))),
        any::<u32>().prop_map(|a| IpMask::host(IpAddr::V6(Ipv4Addr::from(a).to_ipv6_mapped()))),
    ]
}

fn arb_id() -> impl Strategy<Value = String> {
    // Up to 48: ids kept inline (up to 32 bytes) and on the heap.
    prop_oneof![Just("*".to_string()), "[a-zA-Z0-9_-]{1,48}"]
}

fn arb_consumer() -> impl Strategy<Value = Consumer> {
    let kinds = [ConsumerKind::User, ConsumerKind::Group, ConsumerKind::Provider];
    (proptest::sample::select(kinds.to_vec()), arb_id())
        .prop_map(|(kind, id)| Consumer::new(kind, id).unwrap())
}

fn arb_service_kind() -> impl Strategy<Value = ServiceKind> {
    proptest::sample::select(vec![
        ServiceKind::OzWorker,
        ServiceKind::OzPanel,
        ServiceKind::OpWorker,
        ServiceKind::OpPanel,
    ])
}

fn arb_service() -> impl Strategy<Value = Service> {
    (arb_service_kind(), arb_id()).prop_map(|(kind, id)| Service::new(kind, id).unwrap())
}

fn arb_gri_pattern() -> impl Strategy<Value = GriPattern> {
    let name = "[a-zA-Z_][a-zA-Z0-9_]{0,12}";
    let star_or_name = prop_oneof![Just("*".to_string()), name];
    let id = prop_oneof![Just("*".to_string()), "[a-zA-Z0-9_-]{1,20}"];
    let arg = prop_oneof![Just("*".to_string()), "[a-zA-Z0-9_-]{1,20}"];
    let aspect = prop_oneof![
        Just("*".to_string()),
        name.prop_map(|n| n),
        (star_or_name.clone(), arg).prop_map(|(n, a)| format!("{n},{a}")),
    ];
    let scope = proptest::option::of(proptest::sample::select(GRI_SCOPES.to_vec()));
    (star_or_name, id, aspect, scope)
        .prop_map(|(t, i, a, s)| GriPattern::new(&t, &i, &a, s).unwrap())
}

fn arb_matchspec() -> impl Strategy<Value = ApiMatchspec> {
    let operations = vec![
        CrudOperation::Create,
        CrudOperation::Get,
        CrudOperation::Update,
        CrudOperation::Delete,
    ];
    (
        proptest::option::of(arb_service_kind()),
        proptest::option::of(proptest::sample::select(operations)),
        arb_gri_pattern(),
    )
        .prop_map(|(service, operation, gri)| ApiMatchspec { service, operation, gri })
}

fn non_empty<T: core::fmt::Debug>(
    item: impl Strategy<Value = T>,
) -> impl Strategy<Value = NonEmpty<T>> {
    proptest::collection::vec(item, 1..5).prop_map(|items| NonEmpty::new(items).unwrap())
}

fn arb_filter() -> impl Strategy<Value = ListFilter> {
    prop_oneof![Just(ListFilter::Whitelist), Just(ListFilter::Blacklist)]
}

fn arb_caveat() -> impl Strategy<Value = Caveat> {
    let interfaces = vec![Interface::Rest, Interface::Graphsync, Interface::Oneclient];
    prop_oneof![
        any::<u64>().prop_map(|valid_until| Caveat::Time { valid_until }),
        non_empty(arb_ip_mask()).prop_map(|whitelist| Caveat::Ip { whitelist }),
        non_empty(any::<u32>()).prop_map(|whitelist| Caveat::Asn { whitelist }),
        (arb_filter(), non_empty("[A-Z]{2}".prop_map(|c| c.parse::<CountryCode>().unwrap())))
            .prop_map(|(filter, list)| Caveat::Country { filter, list }),
        (arb_filter(), non_empty(proptest::sample::select(GeoRegion::ALL.to_vec())))
            .prop_map(|(filter, list)| Caveat::Region { filter, list }),
        non_empty(arb_consumer()).prop_map(|whitelist| Caveat::Consumer { whitelist }),
        non_empty(arb_service()).prop_map(|whitelist| Caveat::Service { whitelist }),
        proptest::sample::select(interfaces).prop_map(|interface| Caveat::Interface { interface }),
        non_empty(arb_matchspec()).prop_map(|whitelist| Caveat::Api { whitelist }),
        Just(Caveat::DataReadonly),
        non_empty("(/[^/]{1,8}){1,4}".prop_map(|p| DataPath::new(p).unwrap()))
            .prop_map(|whitelist| Caveat::DataPath { whitelist }),
        non_empty("[0-9A-Fa-f]{1,64}".prop_map(|o| o.parse::<ObjectId>().unwrap()))
            .prop_map(|whitelist| Caveat::DataObjectId { whitelist }),
        Just(Caveat::AuthorizationNone),
    ]
}

proptest! {
    #[test]
    fn string_form_round_trips(caveat in arb_caveat()) {
        let text = caveat.to_string();
        let parsed = Caveat::parse(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&caveat), "{}", text);
        prop_assert_eq!(parsed.map(|c| c.to_string()), Ok(text));
    }

    #[test]
    fn json_form_round_trips(caveat in arb_caveat()) {
        let value = to_json(&caveat);
        let back = from_json(value.clone()).unwrap();
        prop_assert_eq!(&back, &caveat);
        prop_assert_eq!(value["type"].as_str(), Some(caveat.kind().name()));
        prop_assert_eq!(to_json(&back), value);
    }

    #[test]
    fn string_and_json_forms_agree(caveat in arb_caveat()) {
        let text = caveat.to_string();
        let via_json = from_json(to_json(&parse(&text))).unwrap();
        prop_assert_eq!(via_json.to_string(), text);
    }

    #[test]
    fn element_types_round_trip_on_their_own(
        mask in arb_ip_mask(),
        consumer in arb_consumer(),
        service in arb_service(),
        spec in arb_matchspec(),
    ) {
        prop_assert_eq!(mask.to_string().parse::<IpMask>().unwrap(), mask);
        prop_assert_eq!(consumer.to_string().parse::<Consumer>().unwrap(), consumer);
        prop_assert_eq!(service.to_string().parse::<Service>().unwrap(), service);
        prop_assert_eq!(spec.gri.to_string().parse::<GriPattern>().unwrap(), spec.gri.clone());
        prop_assert_eq!(spec.to_string().parse::<ApiMatchspec>().unwrap(), spec);
    }

    #[test]
    fn parse_never_panics_and_accepted_text_round_trips(text in "\\PC{0,40}") {
        if let Ok(caveat) = Caveat::parse(&text) {
            prop_assert_eq!(caveat.to_string(), text);
        }
    }

    #[test]
    fn near_miss_text_parses_or_round_trips(
        prefix in proptest::sample::select(vec![
            "time < ", "ip = ", "asn = ", "geo.country = ", "geo.region != ", "consumer = ",
            "service = ", "interface = ", "api = ", "data.path = ", "data.objectid = ",
        ]),
        rest in "[0-9a-zA-Z./:|*,=+-]{0,24}",
    ) {
        let text = format!("{prefix}{rest}");
        match Caveat::parse(&text) {
            Ok(caveat) => prop_assert_eq!(caveat.to_string(), text),
            Err(CaveatError::Unrecognized) => prop_assert!(false, "known prefix unrecognised"),
            Err(_) => {}
        }
    }

    #[test]
    fn utc_formatting_agrees_with_the_time_crate(seconds in 0u64..=253_402_300_799) {
        let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).unwrap()).unwrap();
        let expected = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute(), at.second()
        );
        prop_assert_eq!(UtcSeconds(seconds).to_string(), expected);
    }
}

#[test]
fn utc_formatting_edges() {
    assert_eq!(UtcSeconds(0).to_string(), "1970-01-01T00:00:00Z");
    assert_eq!(UtcSeconds(1_496_140_144).to_string(), "2017-05-30T10:29:04Z");
    assert_eq!(UtcSeconds(951_782_400).to_string(), "2000-02-29T00:00:00Z");
    assert_eq!(UtcSeconds(253_402_300_799).to_string(), "9999-12-31T23:59:59Z");
    // Past what RFC 3339 can write: the seconds, no overflow.
    assert_eq!(UtcSeconds(253_402_300_800).to_string(), "Unix time 253402300800");
    assert_eq!(UtcSeconds(u64::MAX).to_string(), "Unix time 18446744073709551615");
}

// --- malformed, empty, unknown -----------------------------------------------------------

#[test]
fn unknown_strings_are_unrecognized() {
    for text in [
        "",
        "foo",
        "time<5",
        "time > 5",
        "ip=1.2.3.4",
        "IP = 1.2.3.4",
        "data.readonly ",
        " data.readonly",
        "authorization = None",
        "authorization = none ",
        "scope = identity_token",
        "audience = usr-x",
        "geo.country == DE",
        "geo.city = Krakow",
    ] {
        assert_eq!(Caveat::parse(text), Err(CaveatError::Unrecognized), "{text:?}");
    }
    let message = CaveatError::Unrecognized.to_string();
    assert!(message.contains("not a caveat Onezone recognises"), "{message}");
    // Words for the token's holder: no advice meant for the library's caller.
    assert!(!message.contains("raw text"), "{message}");
}

#[test]
fn empty_lists_are_refused_in_the_string_form() {
    for (text, kind) in [
        ("ip = ", CaveatKind::Ip),
        ("asn = ", CaveatKind::Asn),
        ("geo.country = ", CaveatKind::Country),
        ("geo.country != ", CaveatKind::Country),
        ("geo.region = ", CaveatKind::Region),
        ("geo.region != ", CaveatKind::Region),
        ("consumer = ", CaveatKind::Consumer),
        ("service = ", CaveatKind::Service),
        ("api = ", CaveatKind::Api),
        ("data.path = ", CaveatKind::DataPath),
        ("data.objectid = ", CaveatKind::DataObjectId),
    ] {
        assert_eq!(Caveat::parse(text), Err(CaveatError::EmptyList { kind }), "{text:?}");
    }
    assert_eq!(
        CaveatError::EmptyList { kind: CaveatKind::Ip }.to_string(),
        "the ip caveat has an empty list; at least one entry is required"
    );
}

#[test]
fn empty_lists_are_refused_in_json() {
    for value in [
        json!({"type": "ip", "whitelist": []}),
        json!({"type": "asn", "whitelist": []}),
        json!({"type": "geo.country", "filter": "whitelist", "list": []}),
        json!({"type": "geo.region", "filter": "blacklist", "list": []}),
        json!({"type": "consumer", "whitelist": []}),
        json!({"type": "service", "whitelist": []}),
        json!({"type": "api", "whitelist": []}),
        json!({"type": "data.path", "whitelist": []}),
        json!({"type": "data.objectid", "whitelist": []}),
    ] {
        let err = from_json(value.clone()).unwrap_err();
        assert!(err.to_string().contains("empty"), "{value}: {err}");
    }
    assert!(NonEmpty::<u32>::new(vec![]).is_none());
    assert!(NonEmpty::<u32>::try_from(vec![]).is_err());
}

#[test]
fn malformed_strings_name_the_problem() {
    use CaveatKind as K;
    // (text, kind, index of the bad entry (None: single value), bad text, words in message)
    let cases: &[(&str, CaveatKind, Option<usize>, &str, &str)] = &[
        ("time < ", K::Time, None, "", "the number is empty"),
        ("time < -5", K::Time, None, "-5", "not a decimal number"),
        ("time < +5", K::Time, None, "+5", "not a decimal number"),
        ("time < 0123", K::Time, None, "0123", "leading zero"),
        ("time < 18446744073709551616", K::Time, None, "18446744073709551616", "too large"),
        ("time < 12a", K::Time, None, "12a", "not a decimal number"),
        ("time <  5", K::Time, None, " 5", "not a decimal number"),
        ("ip = 10.0.0.0/33", K::Ip, Some(0), "10.0.0.0/33", "larger than 32"),
        ("ip = 1.2.3.4|::/129", K::Ip, Some(1), "::/129", "larger than 128"),
        ("ip = ::/1000", K::Ip, Some(0), "::/1000", "larger than 128"),
        ("ip = 10.0.0.0/08", K::Ip, Some(0), "10.0.0.0/08", "without leading zeros"),
        ("ip = 1.2.3.4/", K::Ip, Some(0), "1.2.3.4/", "prefix length"),
        ("ip = 1.2.3.4/8/8", K::Ip, Some(0), "1.2.3.4/8/8", "prefix length"),
        ("ip = 10.0.0.256", K::Ip, Some(0), "10.0.0.256", "not an IPv4 or IPv6 address"),
        ("ip = 010.0.0.1", K::Ip, Some(0), "010.0.0.1", "not an IPv4 or IPv6 address"),
        ("ip = 2001:DB8::/32", K::Ip, Some(0), "2001:DB8::/32", "canonical"),
        ("ip = 2001:db8:0:0:0:0:0:1", K::Ip, Some(0), "2001:db8:0:0:0:0:0:1", "canonical"),
        ("ip = 1.2.3.4|", K::Ip, Some(1), "", "the address is empty"),
        ("ip = /8", K::Ip, Some(0), "/8", "the address is empty"),
        ("asn = 4294967296", K::Asn, Some(0), "4294967296", "at most 4294967295"),
        ("asn = 12|-1", K::Asn, Some(1), "-1", "not a decimal number"),
        ("asn = 12||13", K::Asn, Some(1), "", "the number is empty"),
        ("geo.country = de", K::Country, Some(0), "de", "two upper-case letters"),
        ("geo.country != DE|DEU", K::Country, Some(1), "DEU", "two upper-case letters"),
        ("geo.region = Mars", K::Region, Some(0), "Mars", "not a region"),
        ("geo.region = Europe|eu", K::Region, Some(1), "eu", "not a region"),
        ("consumer = alice", K::Consumer, Some(0), "alice", "usr-<id>, grp-<id> or prv-<id>"),
        ("consumer = nobody", K::Consumer, Some(0), "nobody", "usr-<id>"),
        ("consumer = usr-", K::Consumer, Some(0), "usr-", "the id is empty"),
        ("consumer = usr-a b", K::Consumer, Some(0), "usr-a b", "ASCII letters, digits"),
        ("consumer = usr-a.b", K::Consumer, Some(0), "usr-a.b", "ASCII letters, digits"),
        ("service = ozx-onezone", K::Service, Some(0), "ozx-onezone", "ozw-<id>"),
        ("service = onezone", K::Service, Some(0), "onezone", "ozw-<id>"),
        ("service = opw-", K::Service, Some(0), "opw-", "the id is empty"),
        ("interface = rest|oneclient", K::Interface, None, "rest|oneclient", "exactly one"),
        ("interface = REST", K::Interface, None, "REST", "not an interface"),
        ("interface = ", K::Interface, None, "", "not an interface"),
        ("api = ozw/get", K::Api, Some(0), "ozw/get", "<service>/<operation>/<GRI pattern>"),
        ("api = ozw/read/user.*.*", K::Api, Some(0), "ozw/read/user.*.*", "the operation"),
        ("api = xyz/get/user.*.*", K::Api, Some(0), "xyz/get/user.*.*", "the service"),
        ("api = ozw/get/user.*", K::Api, Some(0), "ozw/get/user.*", "<type>.<id>.<aspect>"),
        ("api = ozw/get/user.*.*:secret", K::Api, Some(0), "ozw/get/user.*.*:secret", "scope"),
        ("api = ozw/get/user.*.*:*:*", K::Api, Some(0), "ozw/get/user.*.*:*:*", "scope"),
        ("api = ozw/get/us-er.*.*", K::Api, Some(0), "ozw/get/us-er.*.*", "GRI type"),
        ("api = ozw/get/user..*", K::Api, Some(0), "ozw/get/user..*", "GRI id"),
        ("api = ozw/get/user.*.a,b,c", K::Api, Some(0), "ozw/get/user.*.a,b,c", "aspect"),
        ("data.path = /space", K::DataPath, Some(0), "/space", "base64"),
        ("data.path = L2QxYjM4OGY3Yzc", K::DataPath, Some(0), "L2QxYjM4OGY3Yzc", "base64"),
        ("data.path = L2QxYjM4OGY3Yzd=", K::DataPath, Some(0), "L2QxYjM4OGY3Yzd=", "base64"),
        ("data.path = Lw==", K::DataPath, Some(0), "Lw==", "names no space"),
        ("data.path = L2EvYi8=", K::DataPath, Some(0), "L2EvYi8=", "ends with `/`"),
        ("data.path = YWJj", K::DataPath, Some(0), "YWJj", "does not start with `/`"),
        ("data.path = /w==", K::DataPath, Some(0), "/w==", "not UTF-8"),
        ("data.objectid = xyz", K::DataObjectId, Some(0), "xyz", "hexadecimal"),
        ("data.objectid = 12||34", K::DataObjectId, Some(1), "", "empty"),
    ];
    for (text, kind, index, bad, words) in cases {
        let err = Caveat::parse(text).unwrap_err();
        match (&err, index) {
            (CaveatError::InvalidEntry { kind: k, index: i, entry, .. }, Some(index)) => {
                assert_eq!((k, i, entry.as_str()), (kind, index, *bad), "{text:?}");
            }
            (CaveatError::InvalidValue { kind: k, value, .. }, None) => {
                assert_eq!((k, value.as_str()), (kind, *bad), "{text:?}");
            }
            _ => panic!("{text:?}: unexpected {err:?}"),
        }
        let message = err.to_string();
        assert!(message.contains(words), "{text:?}: {message}");
        assert!(message.contains(kind.name()), "{text:?}: {message}");
    }
}

#[test]
fn error_messages_read_well() {
    assert_eq!(
        Caveat::parse("ip = 1.2.3.4|10.0.0.0/33").unwrap_err().to_string(),
        "entry 1 (`10.0.0.0/33`) of the ip caveat is invalid: the prefix length is larger \
         than 32 (the maximum for IPv4)"
    );
    assert_eq!(
        Caveat::parse("time < 01").unwrap_err().to_string(),
        "invalid value `01` in the time caveat: the number has a leading zero"
    );
    // Huge entries are cut short in messages.
    let long = format!("consumer = {}", "x".repeat(1000));
    let message = Caveat::parse(&long).unwrap_err().to_string();
    assert!(message.len() < 250 && message.contains('…'), "{message}");
}

#[test]
fn malformed_json_is_refused() {
    for value in [
        json!({"type": "time"}),
        json!({"type": "time", "validUntil": -1}),
        json!({"type": "time", "validUntil": 1.5}),
        json!({"type": "time", "validUntil": "1496140144"}),
        json!({"type": "time", "validUntil": 1, "extra": 2}),
        json!({"type": "data.readonly", "extra": true}),
        json!({"type": "bogus"}),
        json!({"validUntil": 1}),
        json!({"type": "interface", "interface": "rest|graphsync"}),
        json!({"type": "ip", "whitelist": ["1.2.3.4/40"]}),
        json!({"type": "ip", "whitelist": "1.2.3.4"}),
        json!({"type": "asn", "whitelist": [4294967296u64]}),
        json!({"type": "geo.country", "filter": "greylist", "list": ["DE"]}),
        json!({"type": "geo.country", "list": ["DE"]}),
        json!({"type": "geo.region", "filter": "whitelist", "list": ["europe"]}),
        json!({"type": "consumer", "whitelist": ["usr-a|usr-b"]}),
        json!({"type": "service", "whitelist": ["ozw-"]}),
        json!({"type": "api", "whitelist": ["ozw/get/user"]}),
        json!({"type": "data.objectid", "whitelist": ["zz"]}),
        json!({"type": "authorization", "none": true}),
    ] {
        assert!(from_json(value.clone()).is_err(), "{value} was accepted");
    }
    let err = from_json(json!({"type": "ip", "whitelist": ["1.2.3.4/40"]})).unwrap_err();
    assert!(err.to_string().contains("larger than 32"), "{err}");
}

#[test]
fn constructors_validate() {
    assert!(IpMask::new(v4(10, 0, 0, 0), 33).is_err());
    assert!(IpMask::new(v6("::"), 129).is_err());
    assert_eq!(IpMask::new(v6("::"), 128).unwrap().to_string(), "::/128");
    assert!(Consumer::new(ConsumerKind::User, "").is_err());
    assert!(Consumer::new(ConsumerKind::User, "a|b").is_err());
    assert_eq!(Consumer::any(ConsumerKind::Provider).to_string(), "prv-*");
    assert!(Service::new(ServiceKind::OpWorker, "a b").is_err());
    assert_eq!(Service::onezone_worker().to_string(), "ozw-onezone");
    assert!(GriPattern::new("user", "*", "*", Some("secret")).is_err());
    assert!(DataPath::new("relative").is_err());
    assert!(DataPath::new("/").is_err());
    assert!(DataPath::new("/space/").is_err());
    assert_eq!(DataPath::new("/s").unwrap().to_base64(), "L3M=");
    assert_eq!(DataPath::from_base64("L3M=").unwrap().as_str(), "/s");
}

#[test]
fn expiry_from_time_crate_values() {
    let at = time::OffsetDateTime::from_unix_timestamp(1_496_140_144).unwrap();
    assert_eq!(Caveat::expires_at(at).unwrap(), parse("time < 1496140144"));
    let at_offset = at.to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
    assert_eq!(Caveat::expires_at(at_offset).unwrap(), parse("time < 1496140144"));
    let with_nanos = at + time::Duration::milliseconds(999);
    assert_eq!(Caveat::expires_at(with_nanos).unwrap(), parse("time < 1496140144"));
    let utc = time::UtcDateTime::from_unix_timestamp(1_496_140_144).unwrap();
    assert_eq!(Caveat::expires_at_utc(utc).unwrap(), parse("time < 1496140144"));
    assert_eq!(parse("time < 1496140144").expiry(), Some(at));
    assert_eq!(parse("data.readonly").expiry(), None);
    let before_epoch = time::OffsetDateTime::from_unix_timestamp(-1).unwrap();
    let err = Caveat::expires_at(before_epoch).unwrap_err();
    assert!(err.to_string().contains("before 1970"), "{err}");
    assert_eq!(CaveatContext::at_time(at).now, 1_496_140_144);
    assert_eq!(CaveatContext::at_time(before_epoch).now, 0);
}

#[test]
fn kinds_and_invite_rules() {
    let allowed: Vec<&str> = EXAMPLES
        .iter()
        .map(|(text, _)| parse(text))
        .filter(Caveat::allowed_in_invite)
        .map(|c| c.kind().name())
        .collect();
    let mut allowed = allowed;
    allowed.dedup();
    assert_eq!(allowed, ["time", "ip", "asn", "geo.country", "geo.region", "consumer"]);
    assert!(parse("interface = oneclient").is_data_access());
    assert!(!parse("interface = rest").is_data_access());
    assert!(parse("data.readonly").is_data_access());
    assert!(!parse("api = all/all/*.*.*:*").is_data_access());
    assert_eq!(CaveatKind::AuthorizationNone.to_string(), "authorizationNone");
}

// --- checking ---------------------------------------------------------------------------

fn holds(text: &str, ctx: &CaveatContext) -> bool {
    parse(text).check(ctx).is_ok()
}

fn failure(text: &str, ctx: &CaveatContext) -> CaveatFailure {
    parse(text).check(ctx).unwrap_err()
}

fn ip_ctx(ip: IpAddr) -> CaveatContext {
    CaveatContext { ip: Some(ip), ..CaveatContext::default() }
}

#[test]
fn time_boundaries() {
    let caveat = "time < 1496140144";
    assert!(holds(caveat, &CaveatContext::at(1_496_140_143)));
    assert!(holds(caveat, &CaveatContext::at(1)));
    assert_eq!(
        failure(caveat, &CaveatContext::at(1_496_140_144)),
        CaveatFailure::Expired { valid_until: 1_496_140_144, now: 1_496_140_144 }
    );
    assert!(!holds(caveat, &CaveatContext::at(1_496_140_145)));
    assert!(!holds(caveat, &CaveatContext::at(u64::MAX)));
    assert!(!holds("time < 0", &CaveatContext::at(1)));
    assert!(holds("time < 18446744073709551615", &CaveatContext::at(u64::MAX - 1)));
    // Unknown time (0, the default) fails.
    assert_eq!(
        failure(caveat, &CaveatContext::default()),
        CaveatFailure::MissingContext { kind: CaveatKind::Time, needed: "current time" }
    );
}

#[test]
fn ipv4_mask_edges() {
    let all = "ip = 0.0.0.0/0";
    assert!(holds(all, &ip_ctx(v4(0, 0, 0, 0))));
    assert!(holds(all, &ip_ctx(v4(255, 255, 255, 255))));
    assert!(!holds(all, &ip_ctx(v6("::1"))), "an IPv4 mask never matches IPv6");
    assert!(holds("ip = 203.0.113.77/0", &ip_ctx(v4(1, 2, 3, 4))), "host bits of /0 ignored");

    let host = "ip = 11.101.11.234/32";
    assert!(holds(host, &ip_ctx(v4(11, 101, 11, 234))));
    assert!(!holds(host, &ip_ctx(v4(11, 101, 11, 235))));
    assert!(!holds(host, &ip_ctx(v4(11, 101, 11, 233))));
    assert!(holds("ip = 11.101.11.234", &ip_ctx(v4(11, 101, 11, 234))));
    assert!(!holds("ip = 11.101.11.234", &ip_ctx(v4(11, 101, 11, 235))));

    let net = "ip = 10.1.2.0/24";
    assert!(holds(net, &ip_ctx(v4(10, 1, 2, 0))));
    assert!(holds(net, &ip_ctx(v4(10, 1, 2, 255))));
    assert!(!holds(net, &ip_ctx(v4(10, 1, 1, 255))));
    assert!(!holds(net, &ip_ctx(v4(10, 1, 3, 0))));
    // Host bits beyond the prefix are kept in the text and ignored when matching.
    assert!(holds("ip = 10.1.2.77/24", &ip_ctx(v4(10, 1, 2, 1))));
    assert_eq!(parse("ip = 10.1.2.77/24").to_string(), "ip = 10.1.2.77/24");

    let odd = "ip = 192.168.0.0/31";
    assert!(holds(odd, &ip_ctx(v4(192, 168, 0, 1))));
    assert!(!holds(odd, &ip_ctx(v4(192, 168, 0, 2))));
    assert!(holds("ip = 128.0.0.0/1", &ip_ctx(v4(255, 0, 0, 0))));
    assert!(!holds("ip = 128.0.0.0/1", &ip_ctx(v4(127, 255, 255, 255))));

    // An IPv4-mapped IPv6 client is matched as IPv4.
    assert!(holds(net, &ip_ctx(v6("::ffff:10.1.2.3"))));
    assert!(!holds(net, &ip_ctx(v6("::ffff:10.1.3.3"))));
}

#[test]
fn ipv6_mask_edges() {
    let host = "ip = 2001:db8::1/128";
    assert!(holds(host, &ip_ctx(v6("2001:db8::1"))));
    assert!(!holds(host, &ip_ctx(v6("2001:db8::"))));
    assert!(!holds(host, &ip_ctx(v6("2001:db8::2"))));
    assert!(holds("ip = 2001:db8::1", &ip_ctx(v6("2001:db8::1"))));
    assert!(!holds("ip = 2001:db8::1", &ip_ctx(v6("2001:db8::3"))));

    let pair = "ip = 2001:db8::/127";
    assert!(holds(pair, &ip_ctx(v6("2001:db8::"))));
    assert!(holds(pair, &ip_ctx(v6("2001:db8::1"))));
    assert!(!holds(pair, &ip_ctx(v6("2001:db8::2"))));

    let net = "ip = 2001:db8:0:1::/64";
    assert!(holds(net, &ip_ctx(v6("2001:db8:0:1::"))));
    assert!(holds(net, &ip_ctx(v6("2001:db8:0:1:ffff:ffff:ffff:ffff"))));
    assert!(!holds(net, &ip_ctx(v6("2001:db8:0:2::"))));
    assert!(!holds(net, &ip_ctx(v6("2001:db8::ffff:ffff:ffff:ffff"))));

    let all = "ip = ::/0";
    assert!(holds(all, &ip_ctx(v6("::"))));
    assert!(holds(all, &ip_ctx(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))));
    assert!(!holds(all, &ip_ctx(v4(1, 2, 3, 4))), "an IPv6 mask never matches IPv4");
    assert!(!holds(all, &ip_ctx(v6("::ffff:1.2.3.4"))), "mapped addresses are IPv4");
}

#[test]
fn missing_context_fails_every_caveat() {
    let ctx = CaveatContext::default();
    for (text, _) in EXAMPLES {
        let result = parse(text).check(&ctx);
        assert!(result.is_err(), "{text} held without context");
    }
    for (text, needed) in [
        ("ip = 0.0.0.0/0", "client IP address"),
        ("asn = 1", "client's AS number"),
        ("geo.country != DE", "client's country"),
        ("geo.region != EU", "client's region"),
        ("consumer = usr-*", "consumer"),
        ("service = ozw-*", "service"),
        ("interface = rest", "interface"),
        ("api = all/all/*.*.*:*", "API operation"),
        ("data.readonly", "kind of data access (read-only or not)"),
        ("data.path = L3M=", "data path"),
        ("data.objectid = 00", "object ID"),
    ] {
        let caveat = parse(text);
        assert_eq!(
            caveat.check(&ctx),
            Err(CaveatFailure::MissingContext { kind: caveat.kind(), needed }),
            "{text}"
        );
    }
    assert_eq!(
        failure("ip = 10.0.0.0/8", &ctx).to_string(),
        "unverified IP caveat: the client IP address is not known, so the caveat cannot hold"
    );
}

#[test]
fn asn_and_geo() {
    let ctx = CaveatContext {
        asn: Some(322),
        country: Some("PT".into()),
        regions: vec![GeoRegion::Europe, GeoRegion::EuropeanUnion],
        ..CaveatContext::default()
    };
    assert!(holds("asn = 112|322", &ctx));
    assert!(!holds("asn = 112", &ctx));
    assert!(holds("geo.country = DE|PT", &ctx));
    assert!(!holds("geo.country != DE|PT", &ctx));
    assert!(holds("geo.country != DE", &ctx));
    assert!(!holds("geo.country = DE", &ctx));
    assert!(holds("geo.region = EU", &ctx));
    assert!(holds("geo.region = Asia|Europe", &ctx));
    assert!(!holds("geo.region != EU", &ctx));
    assert!(!holds("geo.region = Africa", &ctx));
    assert!(holds("geo.region != Africa|Asia", &ctx));
    let swiss = CaveatContext { regions: vec![GeoRegion::Europe], ..ctx.clone() };
    assert!(holds("geo.region != EU", &swiss));

    assert_eq!(
        failure("asn = 112", &ctx).to_string(),
        "unverified ASN caveat: the client's AS number 322 is not on the list 112"
    );
    assert_eq!(
        failure("geo.country = DE|FR", &ctx).to_string(),
        "unverified country caveat: the client's country PT is not on the list DE, FR"
    );
    assert_eq!(
        failure("geo.country != PT", &ctx).to_string(),
        "unverified country caveat: the client's country PT is on the forbidden list PT"
    );
    assert_eq!(
        failure("geo.region = Asia", &ctx).to_string(),
        "unverified region caveat: the client's region (Europe, EU) is not on the list Asia"
    );
    assert_eq!(
        failure("geo.region != EU", &ctx).to_string(),
        "unverified region caveat: the client's region (Europe, EU) is on the forbidden list EU"
    );
}

#[test]
fn consumers() {
    let bob = Consumer::new(ConsumerKind::User, "bob").unwrap();
    let ctx = CaveatContext {
        consumer: Some(bob.clone()),
        consumer_groups: vec!["g1".into(), "g2".into()],
        ..CaveatContext::default()
    };
    assert!(holds("consumer = usr-bob", &ctx));
    assert!(holds("consumer = usr-*", &ctx));
    assert!(holds("consumer = usr-alice|grp-g2", &ctx));
    assert!(!holds("consumer = usr-alice", &ctx));
    assert!(!holds("consumer = prv-*", &ctx));
    assert!(!holds("consumer = prv-bob", &ctx));
    assert!(!holds("consumer = grp-g3", &ctx));
    assert!(!holds("consumer = grp-*", &ctx), "grp-* admits nobody, as in Onezone");
    let provider = CaveatContext {
        consumer: Some(Consumer::new(ConsumerKind::Provider, "p1").unwrap()),
        ..CaveatContext::default()
    };
    assert!(holds("consumer = prv-*", &provider));
    assert!(holds("consumer = prv-p1", &provider));
    assert!(!holds("consumer = usr-*|prv-p2", &provider));

    assert_eq!(
        failure("consumer = usr-alice", &ctx),
        CaveatFailure::ConsumerNotAllowed {
            consumer: bob,
            whitelist: vec!["usr-alice".parse().unwrap()],
        }
    );
    assert_eq!(
        failure("consumer = usr-alice", &ctx).to_string(),
        "unverified consumer caveat: the consumer usr-bob is not on the list usr-alice"
    );
}

#[test]
fn services() {
    let ctx =
        CaveatContext { service: Some("opw-p1".parse().unwrap()), ..CaveatContext::default() };
    assert!(holds("service = opw-p1", &ctx));
    assert!(holds("service = ozw-onezone|opw-*", &ctx));
    assert!(!holds("service = opw-p2", &ctx));
    assert!(!holds("service = opp-*|opp-p1", &ctx));
    assert_eq!(
        failure("service = ozw-onezone|opw-p2", &ctx).to_string(),
        "unverified service caveat: the service opw-p1 is not on the list ozw-onezone, opw-p2"
    );
}

#[test]
fn interfaces() {
    let ctx = CaveatContext { interface: Some(Interface::Rest), ..CaveatContext::default() };
    assert!(holds("interface = rest", &ctx));
    assert_eq!(
        failure("interface = oneclient", &ctx),
        CaveatFailure::InterfaceMismatch {
            required: Interface::Oneclient,
            actual: Interface::Rest
        }
    );
    assert_eq!(
        failure("interface = oneclient", &ctx).to_string(),
        "unverified interface caveat: this token can only be used on the 'oneclient' \
         interface, not on 'rest'"
    );
}

#[test]
fn api_operations() {
    let call = |service, operation, t: &str, id: &str, aspect: &str, scope: &str| CaveatContext {
        api_call: Some(ApiCall {
            service,
            operation,
            gri: Gri {
                entity_type: t.into(),
                entity_id: id.into(),
                aspect: aspect.into(),
                scope: scope.into(),
            },
        }),
        ..CaveatContext::default()
    };
    let get_user =
        call(ServiceKind::OzWorker, CrudOperation::Get, "user", "u1", "instance", "protected");
    assert!(holds("api = ozw/get/user.*.*:*", &get_user));
    assert!(holds("api = all/all/*.*.*:*", &get_user));
    assert!(holds("api = ozw/all/user.u1.instance:protected", &get_user));
    assert!(!holds("api = opw/get/user.*.*:*", &get_user));
    assert!(!holds("api = ozw/update/user.*.*:*", &get_user));
    assert!(!holds("api = ozw/get/group.*.*:*", &get_user));
    assert!(!holds("api = ozw/get/user.u2.*:*", &get_user));
    assert!(!holds("api = ozw/get/user.*.instance:private", &get_user));
    assert!(!holds("api = ozw/get/user.*.instance", &get_user), "no scope means private");
    let private =
        call(ServiceKind::OzWorker, CrudOperation::Get, "user", "u1", "instance", "private");
    assert!(holds("api = ozw/get/user.*.instance", &private));

    let with_arg =
        call(ServiceKind::OzWorker, CrudOperation::Create, "group", "g", "user,u1", "private");
    assert!(holds("api = all/create/group.*.user,*:*", &with_arg));
    assert!(holds("api = all/create/group.*.*,u1:*", &with_arg));
    assert!(holds("api = all/create/group.*.*,*:*", &with_arg));
    assert!(holds("api = all/create/group.*.*:*", &with_arg));
    assert!(!holds("api = all/create/group.*.user,u2:*", &with_arg));
    assert!(!holds("api = all/create/group.*.user:*", &with_arg));
    assert!(!holds("api = all/create/group.*.*,*:*", &private), "`*,*` needs an argument");

    assert_eq!(
        failure("api = opw/get/user.*.*:*|ozw/update/user.*.*", &get_user).to_string(),
        "unverified API caveat: the operation ozw/get/user.u1.instance:protected matches none \
         of the allowed operations opw/get/user.*.*:*, ozw/update/user.*.*"
    );
}

#[test]
fn data_access() {
    let read = CaveatContext {
        read_only: Some(true),
        data_path: Some("/space1/dir/file.txt".into()),
        object_id: Some("AB".into()),
        object_ancestor_ids: vec!["0A".into(), "0B".into()],
        ..CaveatContext::default()
    };
    let write = CaveatContext { read_only: Some(false), ..read.clone() };
    assert!(holds("data.readonly", &read));
    assert_eq!(failure("data.readonly", &write), CaveatFailure::WriteNotAllowed);
    assert_eq!(
        failure("data.readonly", &write).to_string(),
        "unverified data access caveat: this token allows only read-only data access"
    );

    let path = |p: &str| format!("data.path = {}", DataPath::new(p).unwrap().to_base64());
    assert!(holds(&path("/space1"), &read));
    assert!(holds(&path("/space1/dir"), &read));
    assert!(holds(&path("/space1/dir/file.txt"), &read));
    assert!(holds(&format!("{}|{}", path("/other"), &path("/space1/dir")[12..]), &read));
    assert!(!holds(&path("/space1/di"), &read));
    assert!(!holds(&path("/space1/dir/file.txt2"), &read));
    assert!(!holds(&path("/space1/dir/file.txt/x"), &read));
    assert!(!holds(&path("/space2"), &read));
    assert_eq!(
        failure(&path("/space2"), &read).to_string(),
        "unverified data path caveat: the path /space1/dir/file.txt is not within any of the \
         allowed paths /space2"
    );
    for bad in
        ["/space1/dir/../../space2", "/space1//dir", "/space1/dir/", "space1", "/", "/space1/./dir"]
    {
        let ctx = CaveatContext { data_path: Some(bad.into()), ..read.clone() };
        assert!(
            matches!(failure(&path("/space1"), &ctx), CaveatFailure::InvalidContext { .. }),
            "{bad}"
        );
    }

    assert!(holds("data.objectid = AB", &read));
    assert!(holds("data.objectid = 0B", &read), "an ancestor directory is listed");
    assert!(!holds("data.objectid = 0C|ab", &read), "object ids compare exactly");
    assert_eq!(
        failure("data.objectid = 0C", &read).to_string(),
        "unverified data object ID caveat: the object AB is not within any of the allowed \
         objects 0C"
    );
}

#[test]
fn authorization_none() {
    let caveat = parse("authorization = none");
    assert_eq!(caveat.check(&CaveatContext::default()), Err(CaveatFailure::NoAuthorization));
    assert_eq!(
        CaveatFailure::NoAuthorization.to_string(),
        "this token carries no authorization (can be used solely for identity verification)"
    );
    let identity = CaveatContext { identity_only: true, ..CaveatContext::default() };
    assert!(caveat.check(&identity).is_ok());
}

#[test]
fn results_stay_small() {
    // clippy's `result_large_err` limit: callers return these in `Result`s.
    assert!(size_of::<CaveatFailure>() <= 128, "{}", size_of::<CaveatFailure>());
    assert!(size_of::<CaveatError>() <= 128, "{}", size_of::<CaveatError>());
}

#[test]
fn failure_messages_for_ip_and_time() {
    assert_eq!(
        failure("time < 1496140144", &CaveatContext::at(1_600_000_000)).to_string(),
        "unverified time caveat: this token has expired at 2017-05-30T10:29:04Z"
    );
    assert_eq!(
        failure("ip = 10.0.0.0/8|2001:db8::/32", &ip_ctx(v4(11, 0, 0, 1))).to_string(),
        "unverified IP caveat: the client IP address 11.0.0.1 is in none of the allowed masks \
         10.0.0.0/8, 2001:db8::/32"
    );
    assert_eq!(failure("ip = 10.0.0.0/8", &ip_ctx(v4(11, 0, 0, 1))).kind(), CaveatKind::Ip);
}

/// A list of one entry is kept inline and a longer one in a `Vec`, but they read, compare,
/// hash and print by their entries alone, as when every list was a `Vec`.
#[test]
fn lists_of_one_and_of_many_read_the_same() {
    use core::hash::BuildHasher;
    let state = foldhash::fast::FixedState::with_seed(7);
    let one = NonEmpty::one(1u32);
    assert_eq!(NonEmpty::new(alloc::vec![1u32]), Some(one.clone()));
    assert_eq!(NonEmpty::<u32>::new(alloc::vec![]), None);
    assert_eq!((one.as_slice(), one.len(), &one[..]), (&[1][..], 1, &[1][..]));
    assert_eq!(format!("{one:?}"), "NonEmpty([1])");

    let mut two = one.clone();
    two.push(2);
    assert_eq!(two.as_slice(), [1, 2]);
    assert_eq!(Some(two.clone()), NonEmpty::new(alloc::vec![1, 2]));
    assert_ne!(two, one);
    assert_eq!(format!("{two:?}"), "NonEmpty([1, 2])");
    two.push(3);
    assert_eq!(two.clone().into_vec(), [1, 2, 3]);
    assert_eq!(two.clone().into_iter().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!((&two).into_iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(Vec::from(one.clone()), [1]);
    assert_eq!(NonEmpty::try_from(alloc::vec![4u32]), Ok(NonEmpty::one(4)));
    assert_eq!(NonEmpty::<u32>::try_from(alloc::vec![]), Err(alloc::vec![]));
    assert_eq!(one.clone().map(|n| n * 10).as_slice(), [10]);
    assert_eq!(two.clone().map(|n| n * 10).as_slice(), [10, 20, 30]);

    // Hashed as the `Vec` of its entries.
    for (list, vec) in [(one, alloc::vec![1u32]), (two, alloc::vec![1, 2, 3])] {
        let (of_list, of_vec) = (state.hash_one(&list), state.hash_one(&vec));
        assert_eq!(of_list, of_vec);
        assert_eq!(serde_json::to_string(&list).unwrap(), serde_json::to_string(&vec).unwrap());
    }
}

/// A consumer's id is kept inline up to 32 bytes and on the heap beyond: either way it reads,
/// compares, hashes, prints and admits as its text, however the consumer was made.
#[test]
fn consumer_ids_read_the_same_inline_and_on_the_heap() {
    use core::hash::BuildHasher;
    let hash = |c: &Consumer| foldhash::fast::FixedState::with_seed(7).hash_one(c);
    for len in [1, 31, 32, 33, 64] {
        let id: String = "a1_-B".chars().cycle().take(len).collect();
        let made = Consumer::new(ConsumerKind::User, id.clone()).unwrap();
        let parsed: Consumer = format!("usr-{id}").parse().unwrap();
        assert_eq!(made.id(), id);
        assert_eq!(parsed.id(), id);
        assert_eq!(made, parsed);
        assert_eq!(hash(&made), hash(&parsed));
        assert_eq!(made.to_string(), format!("usr-{id}"));
        assert!(format!("{made:?}").contains(&format!("{id:?}")), "{made:?}");
        let other = Consumer::new(ConsumerKind::User, format!("{id}x")).unwrap();
        assert_ne!(made, other);
        let ctx = CaveatContext { consumer: Some(made.clone()), ..Default::default() };
        assert!(holds(&format!("consumer = usr-{id}"), &ctx), "{len}");
        assert!(!holds(&format!("consumer = usr-{id}x"), &ctx), "{len}");
        let member = CaveatContext { consumer_groups: vec![id.clone()], ..ctx.clone() };
        assert!(holds(&format!("consumer = grp-{id}"), &member), "{len}");
        assert!(!holds(&format!("consumer = grp-{id}"), &ctx), "{len}");
    }
}

/// A GRI pattern is kept as its text and where its parts end: the parts read back as given,
/// and a part that holds a separator (which would read back otherwise) is refused.
#[test]
fn gri_patterns_keep_their_parts() {
    let p = GriPattern::new("group", "g1", "user,*", Some("*")).unwrap();
    assert_eq!(
        (p.entity_type(), p.entity_id(), p.aspect(), p.scope()),
        ("group", "g1", "user,*", Some("*"))
    );
    assert_eq!(p.to_string(), "group.g1.user,*:*");
    assert_eq!(p, "group.g1.user,*:*".parse().unwrap());
    let q = GriPattern::new("*", "*", "*", None).unwrap();
    assert_eq!((q.entity_type(), q.entity_id(), q.aspect(), q.scope()), ("*", "*", "*", None));
    assert_eq!(
        format!("{q:?}"),
        r#"GriPattern { entity_type: "*", entity_id: "*", aspect: "*", scope: None }"#
    );
    for (t, i, a, s) in [
        ("user", "a.b", "x", None),
        ("us.er", "a", "x", None),
        ("user", "a", "x:private", None),
        ("user", "a:b", "x", None),
        ("user", "a", "x", Some("private:x")),
        ("user", "a", "x", Some("")),
        ("", "a", "x", None),
    ] {
        assert!(GriPattern::new(t, i, a, s).is_err(), "{t}.{i}.{a}:{s:?}");
    }
}
