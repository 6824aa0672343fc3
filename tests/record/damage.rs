//! Property tests of the reader on damaged input (deterministic pseudo-random cases, so a
//! failure reproduces): it never panics, a cut at any byte keeps every whole line before it,
//! and every error names a line that exists.

use klue::record::{self, RecordLine};

use crate::script;

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn sample() -> (Vec<u8>, Vec<usize>) {
    let mut bytes = record::format::encode_line(&script::header()).expect("header");
    let mut ends = vec![bytes.len()];
    for e in script::entries() {
        bytes.extend(record::format::encode_line(&e).expect("entry"));
        ends.push(bytes.len());
    }
    (bytes, ends)
}

/// Read from memory through the same streaming reader `record::read` uses.
fn read_bytes(
    _dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> Result<record::Recording, record::ReadError> {
    let path = std::path::Path::new(name);
    let mut r = record::RecordingReader::from_reader(path, bytes)?;
    let mut entries = Vec::new();
    while let Some(e) = r.next_entry()? {
        entries.push(e);
    }
    Ok(record::Recording {
        path: path.to_path_buf(),
        header: r.header().clone(),
        entries,
        warnings: r.warnings().to_vec(),
    })
}

/// Cutting the file at every byte: if the header survives, the reader returns exactly the
/// whole lines before the cut, plus at most one warning for the partial line.
#[test]
fn truncation_at_every_byte_keeps_the_whole_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bytes, ends) = sample();
    let all: Vec<RecordLine> = script::entries();
    for cut in 0..=bytes.len() {
        let got = read_bytes(dir.path(), "cut.jsonl", &bytes[..cut]);
        let whole_entries = ends.iter().skip(1).filter(|&&e| e <= cut).count();
        if cut < ends[0] - 1 {
            // The header is cut (or absent): a specific error on line 1 or an empty file.
            let err = got.expect_err("no header");
            assert!(matches!(err.line(), None | Some(1)), "cut {cut}: {err}");
            continue;
        }
        let rec = got.unwrap_or_else(|e| panic!("cut {cut}: {e}"));
        // A cut exactly before a newline leaves a complete JSON line without its `\n`;
        // it is accepted as a whole entry.
        let n = rec.entries.len();
        assert!(
            n == whole_entries || n == whole_entries + 1,
            "cut {cut}: {n} vs {whole_entries}"
        );
        assert_eq!(&rec.entries[..], &all[..n], "cut {cut}");
        assert!(rec.warnings.len() <= 1, "cut {cut}: {:?}", rec.warnings);
    }
}

/// Random damage (flipped bytes, deleted or duplicated spans, garbage inserted): never a
/// panic; an error names a line within the file; a success returns parsable entries.
#[test]
fn random_damage_never_panics_and_errors_name_a_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bytes, _) = sample();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for case in 0..3000 {
        let mut b = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(b.len());
            match rng.below(6) {
                0 => b[at] = rng.next() as u8,
                1 => b[at] = b"{}[]\",:\n\\"[rng.below(9)],
                2 => {
                    let len = rng.below(40).min(b.len() - at);
                    b.drain(at..at + len);
                }
                3 => {
                    let len = rng.below(200).min(b.len() - at);
                    let span: Vec<u8> = b[at..at + len].to_vec();
                    b.splice(at..at, span);
                }
                4 => {
                    let junk: Vec<u8> = (0..rng.below(30)).map(|_| rng.next() as u8).collect();
                    b.splice(at..at, junk);
                }
                _ => b.truncate(at),
            }
            if b.is_empty() {
                break;
            }
        }
        let lines = b.split(|&c| c == b'\n').count();
        match read_bytes(dir.path(), "damaged.jsonl", &b) {
            Ok(rec) => {
                for w in &rec.warnings {
                    assert!(w.line >= 2 && w.line <= lines, "case {case}: {w}");
                }
            }
            Err(e) => {
                if let Some(l) = e.line() {
                    assert!(
                        l >= 1 && l <= lines,
                        "case {case}: line {l} of {lines}: {e}"
                    );
                }
                assert!(!e.to_string().is_empty());
            }
        }
    }
}
