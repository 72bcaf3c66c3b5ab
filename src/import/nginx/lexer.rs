//! nginx's own tokenizer (`ngx_conf_read_token`): words, `'…'` and `"…"`
//! strings, `\` escapes, `#` comments, `{ } ;`, `${var}` inside words, and
//! the line every token starts on.

use super::super::ImportError;

/// One token of a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A word or a quoted string, escapes resolved.
    Word {
        text: String,
        quoted: bool,
        line: usize,
    },
    /// `;`
    Semi(usize),
    /// `{`
    Open(usize),
    /// `}`
    Close(usize),
}

/// Resolves nginx's escapes: `\"`, `\'`, `\\`, `\t`, `\r`, `\n`; any other
/// `\x` keeps its backslash (regexes need `\.`).
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(q @ ('"' | '\'' | '\\')) => {
                out.push(q);
                chars.next();
            }
            Some('t') => {
                out.push('\t');
                chars.next();
            }
            Some('r') => {
                out.push('\r');
                chars.next();
            }
            Some('n') => {
                out.push('\n');
                chars.next();
            }
            _ => out.push('\\'),
        }
    }
    out
}

/// Splits `text` (the file `file`) into tokens.
pub fn tokenize(file: &str, bytes: &[u8]) -> Result<Vec<Token>, ImportError> {
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        let line = 1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count();
        return Err(ImportError::at(
            file,
            line,
            "not a text file (it contains a NUL byte)",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        ImportError::at(file, line, "not a text file (it is not UTF-8)")
    })?;
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ';' => {
                tokens.push(Token::Semi(line));
                i += 1;
            }
            '{' => {
                tokens.push(Token::Open(line));
                i += 1;
            }
            '}' => {
                tokens.push(Token::Close(line));
                i += 1;
            }
            '"' | '\'' => {
                let start_line = line;
                let quote = c;
                let mut raw = String::new();
                i += 1;
                loop {
                    let Some(&d) = chars.get(i) else {
                        return Err(ImportError::at(
                            file,
                            start_line,
                            format!("unexpected end of file, the string opened here with {quote} is not closed"),
                        ));
                    };
                    if d == '\\' {
                        raw.push(d);
                        if let Some(&e) = chars.get(i + 1) {
                            if e == '\n' {
                                line += 1;
                            }
                            raw.push(e);
                        }
                        i += 2;
                        continue;
                    }
                    i += 1;
                    if d == quote {
                        break;
                    }
                    if d == '\n' {
                        line += 1;
                    }
                    raw.push(d);
                }
                if let Some(&next) = chars.get(i) {
                    if !(next.is_whitespace() || matches!(next, ';' | '{' | '}' | ')')) {
                        return Err(ImportError::at(
                            file,
                            line,
                            format!("unexpected \"{next}\" after a quoted string"),
                        ));
                    }
                }
                tokens.push(Token::Word {
                    text: unescape(&raw),
                    quoted: true,
                    line: start_line,
                });
            }
            _ => {
                let mut raw = String::new();
                while let Some(&d) = chars.get(i) {
                    if d.is_whitespace() || matches!(d, ';' | '{' | '}') {
                        // `${var}` is part of the word.
                        if d == '{' && raw.ends_with('$') {
                            let close = chars[i..].iter().position(|&e| e == '}');
                            match close {
                                Some(n) => {
                                    raw.extend(&chars[i..=i + n]);
                                    i += n + 1;
                                    continue;
                                }
                                None => {
                                    return Err(ImportError::at(
                                        file,
                                        line,
                                        "unexpected end of file: \"${\" is not closed",
                                    ))
                                }
                            }
                        }
                        break;
                    }
                    if d == '\\' {
                        raw.push(d);
                        if let Some(&e) = chars.get(i + 1) {
                            raw.push(e);
                        }
                        i += 2;
                        continue;
                    }
                    raw.push(d);
                    i += 1;
                }
                tokens.push(Token::Word {
                    text: unescape(&raw),
                    quoted: false,
                    line,
                });
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize("t.conf", text.as_bytes())
            .unwrap()
            .into_iter()
            .map(|t| match t {
                Token::Word { text, quoted, line } => {
                    format!("{line}:{}{text}", if quoted { "q:" } else { "" })
                }
                Token::Semi(l) => format!("{l}:;"),
                Token::Open(l) => format!("{l}:{{"),
                Token::Close(l) => format!("{l}:}}"),
            })
            .collect()
    }

    #[test]
    fn test_tokenize_words_quotes_comments_lines() {
        assert_eq!(
            words("a b; # c ; d\nx \"y z\" 'it\\'s' {\n}\n"),
            ["1:a", "1:b", "1:;", "2:x", "2:q:y z", "2:q:it's", "2:{", "3:}"]
        );
    }

    #[test]
    fn test_tokenize_variables_and_escapes() {
        assert_eq!(
            words("proxy_pass $upstream_proto://${app}x:$port;\nrewrite ^/a\\.b(.*) $1 break;"),
            [
                "1:proxy_pass",
                "1:$upstream_proto://${app}x:$port",
                "1:;",
                "2:rewrite",
                "2:^/a\\.b(.*)",
                "2:$1",
                "2:break",
                "2:;"
            ]
        );
        assert_eq!(words("a \"t\\tx\\\\\";"), ["1:a", "1:q:t\tx\\", "1:;"]);
    }

    #[test]
    fn test_tokenize_hash_inside_word_is_not_a_comment() {
        assert_eq!(words("a b#c;"), ["1:a", "1:b#c", "1:;"]);
    }

    #[test]
    fn test_tokenize_errors_have_lines() {
        let e = tokenize("t.conf", b"a;\nb \"open\n\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.conf:2: unexpected end of file"),
            "{e}"
        );
        let e = tokenize("t.conf", b"a;\nb\0;").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.conf:2: not a text file (it contains a NUL byte)"
        );
        let e = tokenize("t.conf", b"a \"x\"y;").unwrap_err();
        assert!(e.to_string().contains("after a quoted string"), "{e}");
        let e = tokenize("t.conf", b"ok;\n\xff\xfe").unwrap_err();
        assert_eq!(e.to_string(), "t.conf:2: not a text file (it is not UTF-8)");
    }
}
