//! Organizr's `config.php` (`<?php return [ 'key' => value, … ];`) read as
//! data, never run: arrays (`[…]` and `array(…)`), single- and
//! double-quoted strings with PHP's escapes, integers, floats, `true`,
//! `false`, `null`, and `//`, `#` and `/* */` comments. Anything else
//! (a variable, a function call) is an error with its line.

use super::super::ImportError;

/// A PHP value.
#[derive(Debug, Clone, PartialEq)]
pub enum Php {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    /// Entries in order; keys are strings or integers (as text).
    Array(Vec<(String, Php)>),
}

impl Php {
    /// The value of `key` in an array.
    pub fn get(&self, key: &str) -> Option<&Php> {
        match self {
            Php::Array(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// As text (strings; numbers and booleans as PHP prints them).
    pub fn text(&self) -> String {
        match self {
            Php::Str(s) => s.clone(),
            Php::Int(n) => n.to_string(),
            Php::Float(f) => f.to_string(),
            Php::Bool(true) => "1".to_owned(),
            Php::Bool(false) | Php::Null => String::new(),
            Php::Array(_) => "Array".to_owned(),
        }
    }

    /// As a boolean, the way Organizr's settings are written (`true`,
    /// `'true'`, `1`, `'1'`, `'on'`).
    pub fn truthy(&self) -> bool {
        match self {
            Php::Bool(b) => *b,
            Php::Int(n) => *n != 0,
            Php::Float(f) => *f != 0.0,
            Php::Str(s) => matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "true" | "1" | "on" | "yes"
            ),
            Php::Null | Php::Array(_) => false,
        }
    }
}

struct Reader<'a> {
    file: &'a str,
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Reader<'_> {
    fn err(&self, msg: impl Into<String>) -> ImportError {
        ImportError::at(self.file, self.line, msg)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn starts(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.chars.get(self.pos + i) == Some(&c))
    }

    fn skip(&mut self, n: usize) {
        for _ in 0..n {
            self.bump();
        }
    }

    /// Skips whitespace and comments.
    fn space(&mut self) -> Result<(), ImportError> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some('#') => self.line_comment(),
                Some('/') if self.starts("//") => self.line_comment(),
                Some('/') if self.starts("/*") => {
                    let line = self.line;
                    self.skip(2);
                    while !self.starts("*/") {
                        if self.bump().is_none() {
                            return Err(ImportError::at(
                                self.file,
                                line,
                                "unterminated /* comment",
                            ));
                        }
                    }
                    self.skip(2);
                }
                _ => return Ok(()),
            }
        }
    }

    fn line_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    fn expect(&mut self, c: char) -> Result<(), ImportError> {
        self.space()?;
        match self.peek() {
            Some(d) if d == c => {
                self.bump();
                Ok(())
            }
            Some(d) => Err(self.err(format!("expected \"{c}\", found \"{d}\""))),
            None => Err(self.err(format!("unexpected end of file, expected \"{c}\""))),
        }
    }

    fn word(&mut self) -> String {
        let mut w = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            w.push(c);
            self.bump();
        }
        w
    }

    fn value(&mut self) -> Result<Php, ImportError> {
        self.space()?;
        let Some(c) = self.peek() else {
            return Err(self.err("unexpected end of file, expected a value"));
        };
        match c {
            '[' => {
                self.bump();
                self.array(']')
            }
            '\'' => self.single(),
            '"' => self.double(),
            '-' | '+' | '0'..='9' | '.' => self.number(),
            c if c.is_ascii_alphabetic() => {
                let line = self.line;
                let w = self.word();
                match w.to_ascii_lowercase().as_str() {
                    "true" => Ok(Php::Bool(true)),
                    "false" => Ok(Php::Bool(false)),
                    "null" => Ok(Php::Null),
                    "array" => {
                        self.expect('(')?;
                        self.array(')')
                    }
                    _ => Err(ImportError::at(
                        self.file,
                        line,
                        format!("{w}: only literal values are read (config.php is never run)"),
                    )),
                }
            }
            '$' => {
                Err(self.err("a variable: only literal values are read (config.php is never run)"))
            }
            c => Err(self.err(format!("unexpected \"{c}\", expected a value"))),
        }
    }

    fn array(&mut self, close: char) -> Result<Php, ImportError> {
        let mut entries = Vec::new();
        let mut next_index: i64 = 0;
        loop {
            self.space()?;
            if self.peek() == Some(close) {
                self.bump();
                return Ok(Php::Array(entries));
            }
            let first = self.value()?;
            self.space()?;
            if self.starts("=>") {
                self.skip(2);
                let key = match &first {
                    Php::Int(n) => {
                        next_index = n.saturating_add(1);
                        n.to_string()
                    }
                    Php::Str(s) => s.clone(),
                    other => other.text(),
                };
                let v = self.value()?;
                entries.retain(|(k, _): &(String, Php)| *k != key);
                entries.push((key, v));
            } else {
                entries.push((next_index.to_string(), first));
                next_index = next_index.saturating_add(1);
            }
            self.space()?;
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(c) if c == close => {}
                Some(c) => {
                    return Err(self.err(format!(
                        "unexpected \"{c}\" in an array, expected \",\" or \"{close}\""
                    )))
                }
                None => {
                    return Err(self.err(format!("unexpected end of file, expected \"{close}\"")))
                }
            }
        }
    }

    fn single(&mut self) -> Result<Php, ImportError> {
        let line = self.line;
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(ImportError::at(self.file, line, "unterminated string")),
                Some('\'') => return Ok(Php::Str(s)),
                Some('\\') if matches!(self.peek(), Some('\\' | '\'')) => {
                    if let Some(c) = self.bump() {
                        s.push(c);
                    }
                }
                Some(c) => s.push(c),
            }
        }
    }

    fn double(&mut self) -> Result<Php, ImportError> {
        let line = self.line;
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err(ImportError::at(self.file, line, "unterminated string")),
                Some('"') => return Ok(Php::Str(s)),
                Some('$')
                    if self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '{') =>
                {
                    return Err(self.err("a variable inside a string: only literal values are read"))
                }
                Some('\\') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('v') => s.push('\u{b}'),
                    Some('e') => s.push('\u{1b}'),
                    Some('f') => s.push('\u{c}'),
                    Some('0') => s.push('\0'),
                    Some(c @ ('\\' | '"' | '$')) => s.push(c),
                    Some(c) => {
                        s.push('\\');
                        s.push(c);
                    }
                    None => return Err(ImportError::at(self.file, line, "unterminated string")),
                },
                Some(c) => s.push(c),
            }
        }
    }

    fn number(&mut self) -> Result<Php, ImportError> {
        let mut t = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.' | '_'))
        {
            t.push(c);
            self.bump();
        }
        let clean = t.replace('_', "");
        let (neg, body) = match clean.strip_prefix('-') {
            Some(b) => (true, b.to_owned()),
            None => (false, clean.trim_start_matches('+').to_owned()),
        };
        let int = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            i64::from_str_radix(hex, 16).ok()
        } else {
            body.parse::<i64>().ok()
        };
        if let Some(n) = int {
            return Ok(Php::Int(if neg { -n } else { n }));
        }
        clean
            .parse::<f64>()
            .map(Php::Float)
            .map_err(|_| self.err(format!("{t:?} is not a number")))
    }
}

/// Parses a `config.php`: `<?php return VALUE;` (an optional `?>` after).
pub fn parse(file: &str, bytes: &[u8]) -> Result<Php, ImportError> {
    if bytes.contains(&0) {
        return Err(ImportError::file(
            file,
            "not a PHP file (it contains a NUL byte)",
        ));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::file(file, "not a PHP file (it is not UTF-8)"))?;
    let mut r = Reader {
        file,
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
    };
    r.space()?;
    if !r.starts("<?php") {
        return Err(r.err("not a PHP file: expected \"<?php\""));
    }
    r.skip(5);
    r.space()?;
    if !r.word().eq_ignore_ascii_case("return") {
        return Err(
            r.err("expected \"return [\" (Organizr's config.php returns its settings array)")
        );
    }
    let v = r.value()?;
    r.expect(';')?;
    r.space()?;
    if r.starts("?>") {
        r.skip(2);
    }
    r.space()?;
    if r.peek().is_some() {
        return Err(r.err("unexpected text after the returned array"));
    }
    if !matches!(v, Php::Array(_)) {
        return Err(ImportError::file(
            file,
            "config.php does not return an array",
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Php, ImportError> {
        parse("config.php", text.as_bytes())
    }

    #[test]
    fn test_parse_organizr_shapes() {
        let v = p("<?php\nreturn [\n\t'a' => 'it\\'s \\\\ x',\n\t'b' => true, // c\n\t'c' => 12, # d\n\t/* e */ 'd' => [ ],\n\t'e' => array(1, 'x' => -2.5, \"q\\n\"),\n\t'f' => '\n\tmulti\n',\n];\n").unwrap();
        assert_eq!(v.get("a"), Some(&Php::Str("it's \\ x".into())));
        assert!(v.get("b").unwrap().truthy());
        assert_eq!(v.get("c"), Some(&Php::Int(12)));
        assert_eq!(v.get("d"), Some(&Php::Array(vec![])));
        let e = v.get("e").unwrap();
        assert_eq!(e.get("0"), Some(&Php::Int(1)));
        assert_eq!(e.get("x"), Some(&Php::Float(-2.5)));
        assert_eq!(e.get("1"), Some(&Php::Str("q\n".into())));
        assert_eq!(v.get("f").unwrap().text(), "\n\tmulti\n");
    }

    #[test]
    fn test_parse_errors_have_lines() {
        assert_eq!(
            p("<?php\nreturn [\n 'a' => $x,\n];")
                .unwrap_err()
                .to_string(),
            "config.php:3: a variable: only literal values are read (config.php is never run)"
        );
        assert_eq!(
            p("<?php\nreturn [\n 'a' => 'open,\n")
                .unwrap_err()
                .to_string(),
            "config.php:3: unterminated string"
        );
        assert!(p("<?php return [ 'a' => getenv('X') ];")
            .unwrap_err()
            .to_string()
            .contains("getenv: only literal values"));
        assert!(p("hello")
            .unwrap_err()
            .to_string()
            .contains("expected \"<?php\""));
        assert!(p("<?php return ['a' => 1 'b'];")
            .unwrap_err()
            .to_string()
            .contains("expected \",\" or \"]\""));
        assert!(parse("config.php", b"<?php\0")
            .unwrap_err()
            .to_string()
            .contains("NUL"));
    }
}
