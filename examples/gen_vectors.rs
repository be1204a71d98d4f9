//! Writes `tests/vectors/generated.json`: macaroons minted from inputs picked by a fixed-seed
//! PRNG (splitmix64, inline, so the output depends on nothing but this file and the crate), each
//! with its inputs and its outputs in every format and encoding.
//!
//! Run with `cargo run --example gen_vectors`. The output is byte-identical on every run and
//! platform (fixed seed, fixed key order, `\n` line ends, trailing newline); CI regenerates it and
//! fails on any diff, and `tests/generated_vectors.rs` checks the committed file against the
//! library.
//!
//! Binary inputs are written `{"hex": ".."}`, text inputs `{"utf8": ".."}` (chosen by content:
//! whatever is valid UTF-8 is written as text).

use std::fmt::Write as _;

use onezone_tokens::macaroon::{Encoding, Format, Macaroon, RootKey};

/// The seed ("onezone!" in ASCII). Changing it, the case count or any choice below changes the
/// whole file.
pub const SEED: u64 = 0x6f6e_657a_6f6e_6521;
/// The number of cases.
pub const CASES: usize = 40;
/// Where the file goes, relative to the crate root.
pub const PATH: &str = "tests/vectors/generated.json";

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and fully specified, so the sequence is
/// the same everywhere.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi` (modulo bias is irrelevant for test data).
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// `true` with probability `percent`/100.
    fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.range(0, items.len() - 1)]
    }

    fn bytes(&mut self, lo: usize, hi: usize) -> Vec<u8> {
        let len = self.range(lo, hi);
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    /// Printable ASCII (space to `~`).
    fn printable(&mut self, lo: usize, hi: usize) -> String {
        let len = self.range(lo, hi);
        (0..len).map(|_| char::from(b' ' + (self.next_u64() % 95) as u8)).collect()
    }

    fn digits(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(b'0' + (self.next_u64() % 10) as u8)).collect()
    }
}

const WORDS: &[&str] = &[
    "alpha",
    "group",
    "space",
    "share",
    "handle",
    "harvester",
    "cluster",
    "provider",
    "invite",
    "user",
    "zażółć",
    "грамота",
    "東京",
    "naïve",
    "data",
    "0000",
    "____",
    "----",
];

const HOSTS: &[&str] = &[
    "onezone.example.org",
    "domain.example.com",
    "datahub.egi.eu",
    "localhost:8443",
    "zażółć.example",
    "example.org",
];

const IDENTIFIER_KINDS: &[&str] =
    &["usr-invitation-sender", "grp-invite-user", "spc-support", "access", "identity"];

const CAVEAT_TEMPLATES: &[&str] = &[
    "time < ",
    "account = ",
    "consumer = usr-",
    "service = opw-",
    "interface = rest",
    "interface = oneclient",
    "data.readonly = true",
    "method = GET",
    "ip = 192.168.",
    "path = /",
];

fn secret(rng: &mut SplitMix64) -> Vec<u8> {
    match rng.range(0, 3) {
        0 => rng.bytes(1, 64),
        1 => rng.bytes(32, 32),
        2 => format!("{}-secret-{}", rng.pick(WORDS), rng.digits(6)).into_bytes(),
        _ => rng.printable(1, 48).into_bytes(),
    }
}

fn location(rng: &mut SplitMix64) -> Option<Vec<u8>> {
    match rng.range(0, 9) {
        0 | 1 => None,
        2 => Some(rng.bytes(1, 24)),
        3 => Some(rng.printable(1, 30).into_bytes()),
        4 => Some(rng.pick(HOSTS).as_bytes().to_vec()),
        _ => {
            let host = rng.pick(HOSTS);
            let path = rng.pick(WORDS);
            Some(format!("https://{host}/{path}").into_bytes())
        }
    }
}

fn identifier(rng: &mut SplitMix64) -> Vec<u8> {
    match rng.range(0, 5) {
        0 => rng.bytes(0, 48),
        1 => rng.bytes(16, 16),
        2 => rng.printable(0, 40).into_bytes(),
        _ => {
            // Onezone's shape: version/persistence/type/subject/id.
            let kind = rng.pick(IDENTIFIER_KINDS);
            let len = rng.range(4, 32);
            let id = rng.digits(len);
            let persistence = if rng.percent(50) { "nmd" } else { "tmp" };
            format!("2/{persistence}/{kind}/ujg:GroupId:/{id}").into_bytes()
        }
    }
}

fn caveat(rng: &mut SplitMix64) -> Vec<u8> {
    match rng.range(0, 9) {
        0 | 1 => rng.bytes(0, 32),
        2 => rng.printable(0, 40).into_bytes(),
        3 => format!("{} = {}", rng.pick(WORDS), rng.pick(WORDS)).into_bytes(),
        _ => {
            let template = rng.pick(CAVEAT_TEMPLATES);
            if template.ends_with(' ') || template.ends_with('-') || template.ends_with('.') {
                let n = rng.range(1, 12);
                format!("{template}{}", rng.digits(n)).into_bytes()
            } else if template.ends_with('/') {
                format!("{template}{}/{}", rng.pick(WORDS), rng.pick(WORDS)).into_bytes()
            } else {
                template.as_bytes().to_vec()
            }
        }
    }
}

/// One generated case's inputs.
pub struct Inputs {
    pub secret: Vec<u8>,
    pub location: Option<Vec<u8>>,
    pub identifier: Vec<u8>,
    pub caveats: Vec<Vec<u8>>,
}

/// The inputs of every case, in order.
pub fn inputs() -> Vec<Inputs> {
    let mut rng = SplitMix64::new(SEED);
    (0..CASES)
        .map(|_| {
            let secret = secret(&mut rng);
            let location = location(&mut rng);
            let identifier = identifier(&mut rng);
            let count = rng.range(0, 10);
            let caveats = (0..count).map(|_| caveat(&mut rng)).collect();
            Inputs { secret, location, identifier, caveats }
        })
        .collect()
}

fn mint(inputs: &Inputs) -> Macaroon<'_> {
    let key = RootKey::derive(&inputs.secret);
    let mut m = Macaroon::new(&key, &inputs.identifier[..]);
    if let Some(location) = &inputs.location {
        m = m.with_location(&location[..]);
    }
    for caveat in &inputs.caveats {
        m.add_first_party_caveat(&caveat[..]);
    }
    m
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serializes")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(2 * bytes.len()), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// `{"utf8": ".."}` for text, `{"hex": ".."}` for anything else.
fn data(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => format!("{{\"utf8\": {}}}", json_string(text)),
        Err(_) => format!("{{\"hex\": {}}}", json_string(&hex(bytes))),
    }
}

/// The whole file, exactly as written to [`PATH`].
pub fn render() -> String {
    let mut out = String::new();
    out.push_str("{\n");
    let description = "Generated by examples/gen_vectors.rs (cargo run --example gen_vectors); \
        do not edit. Each input is {utf8: text} or {hex: bytes}; the key is derived from the \
        secret as libmacaroons does; caveats are first-party, in order.";
    let _ = writeln!(out, "  \"description\": {},", json_string(description));
    let _ = writeln!(out, "  \"prng\": \"splitmix64\",");
    let _ = writeln!(out, "  \"seed\": \"{SEED:#018x}\",");
    out.push_str("  \"cases\": [\n");
    let all = inputs();
    for (n, inputs) in all.iter().enumerate() {
        let m = mint(inputs);
        let text = |format, encoding| {
            m.serialize(format, encoding).expect("generated fields always fit a V1 packet")
        };
        let caveats: Vec<String> = inputs.caveats.iter().map(|c| data(c)).collect();
        let location = inputs.location.as_deref().map_or_else(|| "null".to_owned(), data);
        out.push_str("    {\n");
        let _ = writeln!(out, "      \"case\": {n},");
        let _ = writeln!(out, "      \"secret\": {},", data(&inputs.secret));
        let _ = writeln!(out, "      \"location\": {location},");
        let _ = writeln!(out, "      \"identifier\": {},", data(&inputs.identifier));
        if caveats.is_empty() {
            out.push_str("      \"caveats\": [],\n");
        } else {
            let _ = writeln!(
                out,
                "      \"caveats\": [\n        {}\n      ],",
                caveats.join(",\n        ")
            );
        }
        let _ = writeln!(out, "      \"signature_hex\": {},", json_string(&m.signature().to_hex()));
        let outputs = [
            ("v1_base64url", text(Format::V1, Encoding::Base64Url)),
            ("v1_escaped", text(Format::V1, Encoding::Escaped)),
            ("v2_base64url", text(Format::V2, Encoding::Base64Url)),
            ("v2_escaped", text(Format::V2, Encoding::Escaped)),
            ("v2_json", text(Format::V2Json, Encoding::Base64Url)),
        ];
        let last = outputs.len() - 1;
        for (i, (name, value)) in outputs.iter().enumerate() {
            let comma = if i == last { "" } else { "," };
            let _ = writeln!(out, "      \"{name}\": {}{comma}", json_string(value));
        }
        let comma = if n + 1 == all.len() { "" } else { "," };
        let _ = writeln!(out, "    }}{comma}");
    }
    out.push_str("  ]\n}\n");
    out
}

fn main() -> std::io::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
    let text = render();
    std::fs::write(&path, &text)?;
    println!("wrote {CASES} cases ({} bytes) to {}", text.len(), path.display());
    Ok(())
}
