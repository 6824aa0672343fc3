//! Character screening and word splitting.
//!
//! A query line is split into words the way a POSIX shell splits a simple command made of
//! plain words and quotes, and nothing else: any character a shell would treat as syntax
//! (pipes, lists, redirection, substitution, globbing of parentheses, comments, escapes) is
//! refused rather than interpreted, so what klue runs is exactly what the line says.

use super::Refusal;

/// The longest line klue accepts, in characters.
pub const MAX_LINE_CHARS: usize = 2048;

/// One word of the command line, with its quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Whether the word begins with a quoted part (such a word is never a flag:
    /// `-o=jsonpath='{…}'` is a flag, `'-n'` is not).
    pub quoted: bool,
}

/// Screen `line` and split it into words.
pub fn split(line: &str) -> Result<Vec<Word>, Refusal> {
    let count = line.chars().count();
    if count > MAX_LINE_CHARS {
        return Err(Refusal::new(format!(
            "the command line is {count} characters long; klue accepts at most `{MAX_LINE_CHARS}`"
        )));
    }
    let line = line.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r');
    if line.is_empty() {
        return Err(Refusal::new(
            "the command line is empty: type a read-only query such as `get pods`",
        ));
    }
    screen_chars(line)?;
    words(line)
}

/// Refuse characters that have no place in a query: controls, line breaks, and anything
/// outside ASCII (look-alike letters, fullwidth forms, invisible characters, unusual dashes).
fn screen_chars(line: &str) -> Result<(), Refusal> {
    for (col, c) in line.chars().enumerate() {
        let col = col + 1;
        if c == '\n' || c == '\r' {
            return Err(Refusal::new(format!(
                "a line break at column {col}: one query per line, and no here-documents or `\\n`-separated commands"
            )));
        }
        if c == '\0' {
            return Err(Refusal::new(format!(
                "a NUL byte (`\\x00`) at column {col}: control characters are not allowed"
            )));
        }
        if c.is_control() && c != '\t' {
            return Err(Refusal::new(format!(
                "control character `U+{:04X}` at column {col}: control characters are not allowed",
                c as u32
            )));
        }
        if !c.is_ascii() {
            return Err(Refusal::new(non_ascii_reason(c, col)));
        }
    }
    Ok(())
}

fn non_ascii_reason(c: char, col: usize) -> String {
    let code = c as u32;
    let what = match code {
        0x200B..=0x200F | 0x2060..=0x2064 | 0xFEFF | 0x00AD | 0x180E => {
            "an invisible (zero-width or formatting) character"
        }
        0x2010..=0x2015 | 0x2212 | 0xFE58 | 0xFE63 | 0xFF0D => {
            "a non-ASCII dash (flags must start with the ASCII `-`)"
        }
        0xFF01..=0xFF5E => "a fullwidth look-alike of an ASCII character",
        0x0400..=0x04FF => "a Cyrillic letter (it can look like a Latin one)",
        0x0370..=0x03FF => "a Greek letter (it can look like a Latin one)",
        0x00A0 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => "a non-ASCII space",
        0x2018..=0x201F => "a typographic quote (use ASCII `'` or `\"`)",
        _ => "a non-ASCII character",
    };
    format!(
        "{what} `U+{code:04X}` at column {col}: queries are plain ASCII so that look-alikes cannot disguise a verb or flag"
    )
}

/// Split into words, honouring single and double quotes, refusing shell syntax.
fn words(line: &str) -> Result<Vec<Word>, Refusal> {
    let bytes: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let col = i + 1;
        match c {
            ' ' | '\t' => {
                if in_word {
                    out.push(Word {
                        text: std::mem::take(&mut cur),
                        quoted,
                    });
                    in_word = false;
                    quoted = false;
                }
            }
            '\'' => {
                let end = find_close(&bytes, i + 1, '\'').ok_or_else(|| {
                    Refusal::new(format!("unterminated single quote `'` at column {col}"))
                })?;
                let inner: String = bytes[i + 1..end].iter().collect();
                check_substitution(&inner, col)?;
                if !in_word {
                    quoted = true;
                }
                cur.push_str(&inner);
                in_word = true;
                i = end;
            }
            '"' => {
                let end = find_close(&bytes, i + 1, '"').ok_or_else(|| {
                    Refusal::new(format!("unterminated double quote `\"` at column {col}"))
                })?;
                let inner: String = bytes[i + 1..end].iter().collect();
                check_substitution(&inner, col)?;
                if inner.contains('$') {
                    return Err(Refusal::new(format!(
                        "`$` inside double quotes at column {col}: shell variable expansion is not allowed (use single quotes for a literal `$`)"
                    )));
                }
                if inner.contains('\\') {
                    return Err(Refusal::new(format!(
                        "a backslash inside double quotes at column {col}: shell escapes are not allowed (use single quotes)"
                    )));
                }
                if !in_word {
                    quoted = true;
                }
                cur.push_str(&inner);
                in_word = true;
                i = end;
            }
            _ => {
                if let Some(why) = shell_syntax(&bytes, i) {
                    return Err(Refusal::new(format!("{why} at column {col}")));
                }
                cur.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    if in_word {
        out.push(Word { text: cur, quoted });
    }
    Ok(out)
}

fn find_close(chars: &[char], from: usize, quote: char) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j] == quote)
}

/// Command substitution is refused even inside quotes: it never belongs in a query.
fn check_substitution(inner: &str, col: usize) -> Result<(), Refusal> {
    if inner.contains("$(") {
        return Err(Refusal::new(format!(
            "command substitution `$(…)` in the quoted text starting at column {col} is not allowed"
        )));
    }
    if inner.contains('`') {
        return Err(Refusal::new(format!(
            "a backtick `` ` `` (command substitution) in the quoted text starting at column {col} is not allowed"
        )));
    }
    Ok(())
}

/// What shell syntax the unquoted character at `i` would be, if any.
fn shell_syntax(chars: &[char], i: usize) -> Option<String> {
    let c = chars[i];
    let next = chars.get(i + 1).copied();
    let s = match (c, next) {
        ('|', Some('|')) => "`||` (run another command on failure)",
        ('|', _) => "a pipe `|`",
        ('&', Some('&')) => "`&&` (chain another command)",
        ('&', _) => "`&` (background or chain a command)",
        (';', _) => "`;` (a second command)",
        ('<', Some('<')) => "a here-document or here-string `<<`",
        ('<', Some('(')) => "process substitution `<(…)`",
        ('<', _) => "input redirection `<`",
        ('>', _) => "output redirection `>`",
        ('$', Some('(')) => "command substitution `$(…)`",
        ('$', Some('{')) => "variable expansion `${…}`",
        ('$', _) => "shell variable expansion `$`",
        ('`', _) => "a backtick `` ` `` (command substitution)",
        ('(', _) | (')', _) => {
            "an unquoted parenthesis (a subshell; quote selector sets like `-l 'env in (a,b)'`)"
        }
        ('\\', _) => "an unquoted backslash `\\` (a shell escape)",
        ('#', _) => "`#` (a shell comment)",
        _ => return None,
    };
    Some(format!("shell syntax is not allowed: {s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        split(line)
            .unwrap_or_else(|r| panic!("{line}: {r}"))
            .into_iter()
            .map(|w| w.text)
            .collect()
    }

    #[test]
    fn splits_words_and_quotes() {
        assert_eq!(texts("get  pods\t-n shop"), ["get", "pods", "-n", "shop"]);
        assert_eq!(
            texts("get pods -o jsonpath='{.items[*].metadata.name}'"),
            ["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"]
        );
        assert_eq!(
            texts("get pods -l \"env in (a,b)\""),
            ["get", "pods", "-l", "env in (a,b)"]
        );
        assert_eq!(texts("  get pods \n"), ["get", "pods"]);
    }

    #[test]
    fn refuses_shell_syntax() {
        for line in [
            "get pods | sh",
            "get pods; rm -rf /",
            "get pods && x",
            "get pods || x",
            "get pods > /tmp/x",
            "get pods < x",
            "cat <<EOF",
            "get $(x)",
            "get `x`",
            "get pods &",
            "get pods # c",
            "get \"$HOME\"",
            "get 'a$(b)'",
            "get 'unterminated",
        ] {
            assert!(split(line).is_err(), "{line}");
        }
    }

    #[test]
    fn refuses_bad_characters() {
        let r = split("d\u{0435}lete pods").unwrap_err();
        assert!(r.reason.contains("Cyrillic"), "{r}");
        let r = split("get pods \u{2014}all").unwrap_err();
        assert!(r.reason.contains("dash"), "{r}");
        let r = split("get\u{200D} pods").unwrap_err();
        assert!(r.reason.contains("invisible"), "{r}");
        let r = split("ｇet pods").unwrap_err();
        assert!(r.reason.contains("fullwidth"), "{r}");
        let r = split("get pods\0").unwrap_err();
        assert!(r.reason.contains("NUL"), "{r}");
        let r = split("get pods\nget nodes").unwrap_err();
        assert!(r.reason.contains("line break"), "{r}");
        assert!(split(&"a".repeat(3000)).is_err());
        assert!(split("   ").is_err());
    }
}
