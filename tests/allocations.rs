//! Heap allocations needed to verify a V1 token given as `&str`.
//!
//! The in-place path (`verify_token`: the text decoded into a stack buffer, read as a
//! `MacaroonView`) allocates nothing for tokens of up to 4096 characters, plain or escaped, V1
//! or V2 JSON, and one buffer above that. The zero-copy path (`decode_text` -> `DecodedToken::macaroon` ->
//! `verify`) must not allocate per caveat: the count is the same for 1, 10 and 100 caveats. The
//! owned path (`Macaroon::deserialize`) is measured for comparison; it copies every field.
//!
//! A counting global allocator wraps the system allocator. Only allocations made by the thread
//! that is measuring are counted (a thread-local switch), and everything runs in one `#[test]`,
//! so the harness's own threads cannot pollute the counts. Run with `--nocapture` to see them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use onezone_tokens::macaroon::{
    Encoding, Format, Limits, Macaroon, RootKey, decode_text, verify_token,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` and `Copy`: reading it never allocates nor registers a destructor.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation() {
    // `try_with`: during thread teardown the flag may be gone; such allocations are not ours.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counting around it touches only an atomic and a const thread-local.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: same layout, as the caller promised for `alloc`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: `ptr` was allocated by `System` (through us) with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through us) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap allocations (including reallocations) made by `f` on this thread.
fn count<T>(f: impl FnOnce() -> T) -> usize {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    let result = black_box(f());
    COUNTING.with(|c| c.set(false));
    let n = ALLOCATIONS.load(Ordering::SeqCst);
    drop(result);
    n
}

/// A V1 token (plain base64url) with `n` caveats, and a checker that accepts exactly them.
fn token(key: &RootKey, n: usize) -> (String, Vec<Vec<u8>>) {
    token_as(key, n, Encoding::Base64Url)
}

fn token_as(key: &RootKey, n: usize, encoding: Encoding) -> (String, Vec<Vec<u8>>) {
    let caveats: Vec<Vec<u8>> =
        (0..n).map(|i| format!("time < {}", 1_900_000_000 + i).into_bytes()).collect();
    let mut m =
        Macaroon::new(key, &b"2/nmd/usr-invitation-sender/ujg:GroupId:/1234567890example"[..])
            .with_location(&b"onezone.example.org"[..]);
    for c in &caveats {
        m.add_first_party_caveat(&c[..]);
    }
    (m.serialize(Format::V1, encoding).expect("encodes"), caveats)
}

/// Whether the reader would also try `text` as Onezone-escaped text.
fn could_be_escaped(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().all(u8::is_ascii_alphanumeric)
        && b.contains(&b'0')
        && b.windows(2).all(|w| w[0] != b'0' || (b'0'..=b'5').contains(&w[1]))
        && b.last() != Some(&b'0')
}

/// The zero-copy path: decode the text, parse borrowing from the decoded bytes, verify.
fn verify_borrowed(text: &str, key: &RootKey, caveats: &[Vec<u8>], limits: &Limits) {
    let decoded = decode_text(text, limits).expect("decodes");
    let m = decoded.macaroon(limits).expect("parses");
    assert_eq!(m.caveats().len(), caveats.len());
    m.verify(key, &mut |c: &[u8]| caveats.iter().any(|w| w == c)).expect("verifies");
}

/// The in-place path.
fn verify_in_place(text: &str, key: &RootKey, caveats: &[Vec<u8>], limits: &Limits) {
    let mut checker = |c: &[u8]| caveats.iter().any(|w| w == c);
    verify_token(text, key, &mut checker, limits).expect("verifies");
}

/// The owned path: parse into an owned macaroon, verify.
fn verify_owned(text: &str, key: &RootKey, caveats: &[Vec<u8>]) {
    let m = Macaroon::deserialize(text).expect("parses");
    m.verify(key, &mut |c: &[u8]| caveats.iter().any(|w| w == c)).expect("verifies");
}

/// Allocations to verify a V1 `&str` through the zero-copy path: one for the decoded bytes, one
/// for the caveat list (none without caveats). Observed: 1 with 0 caveats, 2 with 1, 10 and 100.
const MAX_BORROWED_ALLOCATIONS: usize = 2;

#[test]
fn verifying_a_v1_str_allocates_independently_of_the_caveat_count() {
    let key = RootKey::derive(b"this is our super secret key; only we should know it");
    let limits = Limits::default();
    let counts = [0usize, 1, 10, 100];
    let mut borrowed = Vec::new();
    let mut owned = Vec::new();
    for n in counts {
        let (text, caveats) = token(&key, n);
        // A plain text that is also valid Onezone-escaped text would be tried both ways, which
        // costs more (rare: alphanumeric, at least one `0`, each followed by `0`..`5`).
        assert!(!could_be_escaped(&text), "{text}");
        // Warm up once (lazy statics, thread-locals) before counting.
        verify_borrowed(&text, &key, &caveats, &limits);
        verify_owned(&text, &key, &caveats);
        let b = count(|| verify_borrowed(&text, &key, &caveats, &limits));
        let o = count(|| verify_owned(&text, &key, &caveats));
        // Deterministic: the same again.
        assert_eq!(count(|| verify_borrowed(&text, &key, &caveats, &limits)), b);
        println!(
            "V1 &str, {n:>3} caveats ({:>5} chars): decode_text+macaroon+verify {b} allocations, \
             deserialize+verify {o}",
            text.len()
        );
        borrowed.push(b);
        owned.push(o);
    }

    // Zero-copy: at most MAX_BORROWED_ALLOCATIONS, and the same for 1, 10 and 100 caveats.
    for (&n, &b) in counts.iter().zip(&borrowed) {
        assert!(b <= MAX_BORROWED_ALLOCATIONS, "{b} allocations with {n} caveats");
    }
    assert_eq!(borrowed[1], borrowed[2], "allocations grow from 1 to 10 caveats: {borrowed:?}");
    assert_eq!(borrowed[2], borrowed[3], "allocations grow from 10 to 100 caveats: {borrowed:?}");
    assert!(borrowed[0] <= borrowed[1]);

    verifying_in_place_allocates_nothing_up_to_4096_characters();
    verifying_json_in_place_allocates_nothing_up_to_4096_characters();
    the_token_layer_copies_neither_secret_nor_identifier();

    // The owned path copies each caveat, so it does grow: shown for comparison.
    assert!(owned[3] > owned[2] && owned[2] > owned[1], "owned: {owned:?}");
    for (&o, &b) in owned.iter().zip(&borrowed) {
        assert!(o >= b);
    }
}

/// Run from the one `#[test]` (the allocation counter is shared by the whole process).
fn verifying_in_place_allocates_nothing_up_to_4096_characters() {
    let key = RootKey::derive(b"this is our super secret key; only we should know it");
    let limits = Limits::default();
    for encoding in [Encoding::Base64Url, Encoding::Escaped] {
        for n in [0usize, 1, 10, 100, 200] {
            let (text, caveats) = token_as(&key, n, encoding);
            verify_in_place(&text, &key, &caveats, &limits);
            let allocations = count(|| verify_in_place(&text, &key, &caveats, &limits));
            println!(
                "V1 {encoding:?}, {n:>3} caveats ({:>5} chars): verify_token {allocations} \
                 allocations",
                text.len()
            );
            // Past 4096 characters the decoded bytes (and the unescaped text) take one buffer.
            let expected = usize::from(text.len() > 4096);
            assert_eq!(allocations, expected, "{encoding:?}, {n} caveats, {} chars", text.len());
        }
    }
}

/// Run from the one `#[test]`. `token::Verifier::verify` of a named access token whose key
/// `MemorySecrets` keeps: the secret is not copied, the key not derived again, and the
/// `VerifiedToken` shares the token's bytes and lends its identifier from them, and the caveats
/// are checked as they are read and not kept (the ip caveat's single mask is kept inline while
/// it is checked): verifying allocates nothing.
fn the_token_layer_copies_neither_secret_nor_identifier() {
    use onezone_tokens::macaroon::Secret;
    use onezone_tokens::token::{
        Caveat, CaveatContext, Interface, MemorySecrets, TokenIdentifier, UnverifiedToken,
        Verifier, mint,
    };
    let secret = b"a per-token secret of 32 bytes!!";
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("HwUpk8jrwxKOe45uzLFX2GVC8lKEasj4", Secret::new(&secret[..]));
    let id = TokenIdentifier::parse(
        "2/nmd/usr-aa9c9cdc0e4bbd8d6b9a4a9a6e8bcd1f/act/HwUpk8jrwxKOe45uzLFX2GVC8lKEasj4",
    )
    .unwrap();
    let caveats = [
        Caveat::Time { valid_until: 1_800_003_600 },
        Caveat::parse("ip = 10.0.0.0/8").unwrap(),
        Caveat::parse("interface = rest").unwrap(),
    ];
    let text = mint(&Secret::new(&secret[..]), "onezone.example.org", &id, &caveats).unwrap();
    let ctx = CaveatContext {
        now: 1_800_000_000,
        ip: Some("10.1.2.3".parse().unwrap()),
        interface: Some(Interface::Rest),
        ..Default::default()
    };
    let token = UnverifiedToken::parse(&text).unwrap();
    let verify = || Verifier::new(&secrets).verify(&token, &ctx).unwrap();
    assert_eq!(verify().caveats(), &caveats[..]);
    let allocations = count(verify);
    println!("token::Verifier::verify, named access token: {allocations} allocations");
    assert_eq!(allocations, 0, "no caveat list, and the ip caveat's one mask kept inline");

    // A consumer caveat with one of Onezone's 32-character ids keeps it inline: reading one
    // (as every verification of an invite carrying it does) allocates nothing; a longer id
    // takes one allocation.
    let id32 = "aa9c9cdc0e4bbd8d6b9a4a9a6e8bcd1f";
    let (consumer, longer) = (format!("consumer = usr-{id32}"), format!("consumer = usr-{id32}x"));
    let allocations = count(|| Caveat::parse(&consumer).unwrap());
    assert_eq!(allocations, 0, "a 32-byte id kept inline");
    let allocations = count(|| Caveat::parse(&longer).unwrap());
    assert_eq!(allocations, 1, "the id of 33 bytes");

    // Parsing keeps the decoded bytes (one allocation) and lends the identifier from them.
    let allocations = count(|| UnverifiedToken::parse(&text).unwrap());
    println!("token::UnverifiedToken::parse, named access token: {allocations} allocations");
    assert_eq!(allocations, 1, "the token's bytes, and nothing for its identifier");
    let verified = verify();
    let allocations = count(|| {
        assert_eq!(token.identifier().into_owned(), id);
        assert_eq!(verified.identifier(), token.identifier());
    });
    assert_eq!(allocations, 2, "only `into_owned` allocates: the subject's id and the token id");

    // What a token keeps besides its bytes (where its fields lie, in 32 bits) is small enough to
    // be moved without a call to `memcpy` (the compiler copies up to 128 bytes inline): every
    // `parse` and `verify` moves one through its `Result`.
    use std::mem::size_of;
    assert!(size_of::<UnverifiedToken>() <= 128, "{}", size_of::<UnverifiedToken>());
}

/// Run from the one `#[test]`. V2 JSON is read in place too (its fields decoded into the stack
/// buffer as V2 bytes): nothing allocated up to 4096 characters, whether its fields are base64
/// (`i64`, `s64`, as the writer puts a binary identifier or a caveat with `"`) or text with
/// JSON escapes, in the writer's key order or not.
fn verifying_json_in_place_allocates_nothing_up_to_4096_characters() {
    let key = RootKey::derive(b"this is our super secret key; only we should know it");
    let limits = Limits::default();
    for n in [0usize, 1, 10, 100, 200] {
        let caveats: Vec<String> =
            (0..n).map(|i| format!("time < \"{}\"", 1_900_000_000 + i)).collect();
        let mut m = Macaroon::new(&key, &b"id \xff 2/nmd/usr-invitation-sender"[..])
            .with_location(&b"onezone.example.org"[..]);
        for c in &caveats {
            m.add_first_party_caveat(c.as_bytes());
        }
        let written = m.to_json().expect("encodes");
        // The caveats as escaped text instead, the keys in serde_json's order (`c` first).
        let mut value: serde_json::Value = serde_json::from_str(&written).expect("JSON");
        value["c"] = caveats.iter().map(|c| serde_json::json!({ "i": c })).collect();
        let escaped = serde_json::to_string(&value).expect("JSON");
        assert!(written.contains("\"i64\"") && (n == 0 || escaped.contains("\\\"")));
        let caveats: Vec<Vec<u8>> = caveats.into_iter().map(String::into_bytes).collect();
        for text in [written, escaped] {
            verify_in_place(&text, &key, &caveats, &limits);
            let allocations = count(|| verify_in_place(&text, &key, &caveats, &limits));
            println!(
                "V2 JSON, {n:>3} caveats ({:>5} chars): verify_token {allocations} allocations",
                text.len()
            );
            let expected = usize::from(text.len() > 4096);
            assert_eq!(allocations, expected, "JSON, {n} caveats, {} chars: {text}", text.len());
        }
    }
}
