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
//! whatever is valid UTF-8 is written as text). The file is written from serde structs (the
//! field order of the structs is the file's).
//!
//! `third_party_cases` (from their own stream, [`THIRD_PARTY_SEED`], so the first-party cases do
//! not move) add a third-party caveat with a recorded nonce and a bound discharge.

use onezone_tokens::macaroon::{Encoding, Format, Macaroon, RootKey};
use serde::Serialize;

/// The seed ("onezone!" in ASCII). Changing it, the case count or any choice below changes the
/// whole file.
pub const SEED: u64 = 0x6f6e_657a_6f6e_6521;
/// The number of cases.
pub const CASES: usize = 40;
/// The seed of the third-party cases ("3rdparty" in ASCII).
pub const THIRD_PARTY_SEED: u64 = 0x3372_6470_6172_7479;
/// The number of third-party cases.
pub const THIRD_PARTY_CASES: usize = 8;
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

/// Hands out recorded nonce bytes: how a case's nonce goes into `add_third_party_caveat`.
/// Deterministic, so for vectors only; never a real `CryptoRng`.
struct RecordedNonce([u8; 24]);

impl rand_core::TryRng for RecordedNonce {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.iter_mut().zip(self.0.iter().cycle()).for_each(|(d, s)| *d = *s);
        Ok(())
    }
}
impl rand_core::TryCryptoRng for RecordedNonce {}

/// One third-party case's inputs: a macaroon's, plus the caveat and its discharge.
pub struct ThirdPartyInputs {
    pub base: Inputs,
    pub caveat_location: Option<Vec<u8>>,
    pub caveat_secret: Vec<u8>,
    pub caveat_id: Vec<u8>,
    pub nonce: [u8; 24],
    pub discharge_caveats: Vec<Vec<u8>>,
}

/// The inputs of every third-party case, in order.
pub fn third_party_inputs() -> Vec<ThirdPartyInputs> {
    let mut rng = SplitMix64::new(THIRD_PARTY_SEED);
    (0..THIRD_PARTY_CASES)
        .map(|_| {
            let base_secret = secret(&mut rng);
            let base_location = location(&mut rng);
            let base_identifier = identifier(&mut rng);
            let count = rng.range(0, 3);
            let caveats = (0..count).map(|_| caveat(&mut rng)).collect();
            let caveat_location = location(&mut rng);
            let caveat_secret = secret(&mut rng);
            let caveat_id = identifier(&mut rng);
            let mut nonce = [0u8; 24];
            nonce.iter_mut().for_each(|b| *b = rng.next_u64() as u8);
            let count = rng.range(0, 3);
            let discharge_caveats = (0..count).map(|_| caveat(&mut rng)).collect();
            ThirdPartyInputs {
                base: Inputs {
                    secret: base_secret,
                    location: base_location,
                    identifier: base_identifier,
                    caveats,
                },
                caveat_location,
                caveat_secret,
                caveat_id,
                nonce,
                discharge_caveats,
            }
        })
        .collect()
}

/// The macaroon with its third-party caveat (after the first-party ones), and the bound discharge.
pub fn mint_third_party(inputs: &ThirdPartyInputs) -> (Macaroon<'_>, Macaroon<'_>) {
    let mut m = mint(&inputs.base);
    let caveat_key = RootKey::derive(&inputs.caveat_secret);
    let location = inputs.caveat_location.as_deref().unwrap_or_default();
    let id = &inputs.caveat_id[..];
    m.add_third_party_caveat(location, &caveat_key, id, &mut RecordedNonce(inputs.nonce));
    let mut d = Macaroon::discharge(&caveat_key, id);
    if let Some(location) = &inputs.caveat_location {
        d = d.with_location(&location[..]);
    }
    for caveat in &inputs.discharge_caveats {
        d.add_first_party_caveat(&caveat[..]);
    }
    let bound = m.prepare_for_request(&d);
    (m, bound)
}

/// An input: `{"utf8": ".."}` for text, `{"hex": ".."}` for anything else.
#[derive(Serialize)]
enum Data {
    #[serde(rename = "utf8")]
    Utf8(String),
    #[serde(rename = "hex")]
    Hex(String),
}

fn data(bytes: &[u8]) -> Data {
    match std::str::from_utf8(bytes) {
        Ok(text) => Data::Utf8(text.to_owned()),
        Err(_) => Data::Hex(hex::encode(bytes)),
    }
}

fn data_list(items: &[Vec<u8>]) -> Vec<Data> {
    items.iter().map(|item| data(item)).collect()
}

/// The file: what `tests/generated_vectors.rs` reads back (field order is the file's).
#[derive(Serialize)]
struct File {
    description: &'static str,
    prng: &'static str,
    seed: String,
    cases: Vec<Case>,
    third_party_cases: Vec<ThirdPartyCase>,
}

/// The inputs every case has.
#[derive(Serialize)]
struct Base {
    case: usize,
    secret: Data,
    location: Option<Data>,
    identifier: Data,
    caveats: Vec<Data>,
}

#[derive(Serialize)]
struct Case {
    #[serde(flatten)]
    base: Base,
    signature_hex: String,
    v1_base64url: String,
    v1_escaped: String,
    v2_base64url: String,
    v2_escaped: String,
    v2_json: String,
}

#[derive(Serialize)]
struct ThirdPartyCase {
    #[serde(flatten)]
    base: Base,
    caveat_location: Option<Data>,
    caveat_secret: Data,
    caveat_id: Data,
    nonce_hex: String,
    discharge_caveats: Vec<Data>,
    signature_hex: String,
    bound_signature_hex: String,
    v1_base64url: String,
    v2_base64url: String,
    v2_json: String,
    discharge_v1_base64url: String,
    discharge_v2_base64url: String,
    discharge_v2_json: String,
}

fn base(case: usize, inputs: &Inputs) -> Base {
    Base {
        case,
        secret: data(&inputs.secret),
        location: inputs.location.as_deref().map(data),
        identifier: data(&inputs.identifier),
        caveats: data_list(&inputs.caveats),
    }
}

fn case(n: usize, inputs: &Inputs) -> Case {
    let m = mint(inputs);
    let text = |format, encoding| {
        m.serialize(format, encoding).expect("generated fields always fit a V1 packet")
    };
    Case {
        base: base(n, inputs),
        signature_hex: m.signature().to_hex(),
        v1_base64url: text(Format::V1, Encoding::Base64Url),
        v1_escaped: text(Format::V1, Encoding::Escaped),
        v2_base64url: text(Format::V2, Encoding::Base64Url),
        v2_escaped: text(Format::V2, Encoding::Escaped),
        v2_json: text(Format::V2Json, Encoding::Base64Url),
    }
}

fn third_party_case(n: usize, inputs: &ThirdPartyInputs) -> ThirdPartyCase {
    let (m, bound) = mint_third_party(inputs);
    let text = |m: &Macaroon<'_>, format| {
        m.serialize(format, Encoding::Base64Url).expect("generated fields always fit")
    };
    ThirdPartyCase {
        base: base(n, &inputs.base),
        caveat_location: inputs.caveat_location.as_deref().map(data),
        caveat_secret: data(&inputs.caveat_secret),
        caveat_id: data(&inputs.caveat_id),
        nonce_hex: hex::encode(inputs.nonce),
        discharge_caveats: data_list(&inputs.discharge_caveats),
        signature_hex: m.signature().to_hex(),
        bound_signature_hex: bound.signature().to_hex(),
        v1_base64url: text(&m, Format::V1),
        v2_base64url: text(&m, Format::V2),
        v2_json: text(&m, Format::V2Json),
        discharge_v1_base64url: text(&bound, Format::V1),
        discharge_v2_base64url: text(&bound, Format::V2),
        discharge_v2_json: text(&bound, Format::V2Json),
    }
}

/// The whole file, exactly as written to [`PATH`]: `serde_json`'s pretty form (two-space indent,
/// `\n` line ends) and a trailing newline.
pub fn render() -> String {
    let file = File {
        description: "Generated by examples/gen_vectors.rs (cargo run --example gen_vectors); \
            do not edit. Each input is {utf8: text} or {hex: bytes}; the key is derived from the \
            secret as libmacaroons does; caveats are first-party, in order. third_party_cases \
            add, after those, a third-party caveat keyed with the caveat secret (derived the \
            same way) and sealed with the recorded nonce, and a discharge with its caveats, \
            bound.",
        prng: "splitmix64",
        seed: format!("{SEED:#018x}"),
        cases: inputs().iter().enumerate().map(|(n, inputs)| case(n, inputs)).collect(),
        third_party_cases: third_party_inputs()
            .iter()
            .enumerate()
            .map(|(n, inputs)| third_party_case(n, inputs))
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&file).expect("strings and numbers serialize");
    out.push('\n');
    out
}

const USAGE: &str = "\
usage: cargo run --example gen_vectors [-- --help]

Rewrites tests/vectors/generated.json from a fixed seed: the same bytes on every run and
platform. CI regenerates it and fails on any diff. Takes no arguments; with --help it prints
this and writes nothing.";

fn main() -> std::process::ExitCode {
    // Any argument stops before writing: `--help` prints the usage, anything else is an error.
    if let Some(arg) = std::env::args().nth(1) {
        if arg == "--help" || arg == "-h" {
            println!("{USAGE}");
            return std::process::ExitCode::SUCCESS;
        }
        eprintln!("error: unexpected argument `{arg}` (see --help)");
        return std::process::ExitCode::from(2);
    }
    match write() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn write() -> std::io::Result<()> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
    let text = render();
    std::fs::write(&path, &text)?;
    println!("wrote {CASES} cases ({} bytes) to {}", text.len(), path.display());
    Ok(())
}
