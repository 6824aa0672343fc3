//! Reader for `tests/corpus/commands.tsv` (format: see `tests/corpus/README.md`).

#![allow(dead_code)]

use std::path::PathBuf;

/// What klue must do with a corpus command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Allow,
    Refuse,
}

/// One corpus line, decoded.
#[derive(Debug, Clone)]
pub struct Case {
    /// 1-based line number in the file.
    pub line_no: usize,
    pub expect: Expect,
    pub command: String,
}

pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/commands.tsv")
}

/// Load and decode every case; panics with the line number on a malformed line.
pub fn load() -> Vec<Case> {
    let text = std::fs::read_to_string(path()).expect("read tests/corpus/commands.tsv");
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let line_no = i + 1;
            let (kind, cmd) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("commands.tsv:{line_no}: no TAB"));
            let expect = match kind {
                "allow" => Expect::Allow,
                "refuse" => Expect::Refuse,
                other => panic!("commands.tsv:{line_no}: unknown outcome `{other}`"),
            };
            let command = decode(cmd).unwrap_or_else(|e| panic!("commands.tsv:{line_no}: {e}"));
            Case {
                line_no,
                expect,
                command,
            }
        })
        .collect()
}

/// Decode the escapes `\xHH`, `\u{H…}`, `\n`, `\r`, `\t`, `\\`.
pub fn decode(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.peek().copied() {
            Some('x') => {
                it.next();
                let h: String = it.by_ref().take(2).collect();
                let v = u32::from_str_radix(&h, 16).map_err(|_| format!("bad \\x{h}"))?;
                out.push(char::from_u32(v).ok_or_else(|| format!("bad \\x{h}"))?);
            }
            Some('u') => {
                it.next();
                if it.next() != Some('{') {
                    return Err("`\\u` needs `{`".into());
                }
                let h: String = it.by_ref().take_while(|&c| c != '}').collect();
                let v = u32::from_str_radix(&h, 16).map_err(|_| format!("bad \\u{{{h}}}"))?;
                out.push(char::from_u32(v).ok_or_else(|| format!("bad \\u{{{h}}}"))?);
            }
            Some('n') => {
                it.next();
                out.push('\n');
            }
            Some('r') => {
                it.next();
                out.push('\r');
            }
            Some('t') => {
                it.next();
                out.push('\t');
            }
            Some('\\') => {
                it.next();
                out.push('\\');
            }
            _ => out.push('\\'),
        }
    }
    Ok(out)
}
