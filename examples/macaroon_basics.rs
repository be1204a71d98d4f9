//! The macaroon engine on its own: mint a token as Onezone does, attenuate it, read it back and
//! verify it.
//!
//! Run with `cargo run --example macaroon_basics`.

use onezone_tokens::macaroon::{Encoding, Error, Format, Limits, Macaroon, RootKey, decode_text};

const USAGE: &str = "\
usage: cargo run --example macaroon_basics [-- --help]

The macaroon engine on its own: mint a token as Onezone does, attenuate it, read it back and
verify it. Takes no arguments.";

/// `--help` prints the usage and exits 0; any other argument exits 2 (the example takes none).
fn answer_help(usage: &str) {
    if let Some(arg) = std::env::args().nth(1) {
        if arg == "--help" || arg == "-h" {
            println!("{usage}");
            std::process::exit(0);
        }
        eprintln!("error: unexpected argument `{arg}` (see --help)");
        std::process::exit(2);
    }
}

fn main() -> Result<(), Error> {
    answer_help(USAGE);
    // The server keeps one secret per named token; the key is derived from it as libmacaroons does.
    let key = RootKey::derive(b"verySecretSecret5");
    let identifier = "2/nmd/usr-invitation-sender/ujg:GroupId:/1234567890example-id1234567890e";

    println!("1. The server mints an invite token (V1, Onezone-escaped text):");
    let mut token = Macaroon::new(&key, identifier.as_bytes()).with_location(b"domain.example.com");
    token.add_first_party_caveat(b"time < 1900000000");
    let text = token.serialize(Format::V1, Encoding::Escaped)?;
    println!("   {text}\n");

    println!("2. Whoever holds it narrows it further, without the secret:");
    let mut held = Macaroon::deserialize(&text)?;
    held.add_first_party_caveat(b"consumer = usr-carol");
    let narrowed = held.serialize(Format::V1, Encoding::Escaped)?;
    println!("   {narrowed}\n");

    println!("3. The server reads it back (any format or encoding is detected):");
    let limits = Limits::default();
    let decoded = decode_text(&narrowed, &limits)?;
    let parsed = decoded.macaroon(&limits)?;
    println!("   format {:?}, escaped {}", decoded.format(), decoded.escaped());
    println!("   identifier {}", String::from_utf8_lossy(parsed.identifier()));
    for caveat in parsed.caveats() {
        println!("   caveat     {}", String::from_utf8_lossy(caveat.id()));
    }

    println!("\n4. ...and verifies it in the context of a request at t=1800000000 by usr-carol:");
    let now = 1_800_000_000u64;
    let mut checker = |caveat: &[u8]| match caveat {
        b"consumer = usr-carol" => true,
        c => std::str::from_utf8(c)
            .ok()
            .and_then(|c| c.strip_prefix("time < "))
            .and_then(|t| t.parse::<u64>().ok())
            .is_some_and(|valid_until| now < valid_until),
    };
    parsed.verify(&key, &mut checker)?;
    println!("   valid\n");

    println!("5. Bob's request fails on the consumer caveat, a forged key fails opaquely:");
    let bob = parsed.verify(&key, &mut |c: &[u8]| c.starts_with(b"time < "));
    println!("   as bob:        {}", bob.map_or_else(|e| e.to_string(), |()| "valid".into()));
    let forged = parsed.verify(&RootKey::derive(b"guess"), &mut checker);
    println!("   wrong secret:  {}", forged.map_or_else(|e| e.to_string(), |()| "valid".into()));
    Ok(())
}
