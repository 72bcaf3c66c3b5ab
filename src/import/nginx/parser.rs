//! Tokens to a directive tree: `name args… ;` or `name args… { … }`.

use std::rc::Rc;

use super::super::ImportError;
use super::lexer::Token;

/// Where a directive was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// The file, as shown to the user.
    pub file: Rc<str>,
    /// 1-based line of the directive name.
    pub line: usize,
}

/// One argument: its text (escapes resolved) and whether it was quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub text: String,
    pub quoted: bool,
}

/// One directive, with its block when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<Arg>,
    pub block: Option<Vec<Directive>>,
    pub at: At,
}

impl Directive {
    /// The text of argument `i`, or `""`.
    pub fn arg(&self, i: usize) -> &str {
        self.args.get(i).map_or("", |a| a.text.as_str())
    }

    /// Every argument's text.
    pub fn texts(&self) -> Vec<&str> {
        self.args.iter().map(|a| a.text.as_str()).collect()
    }

    /// The directive's block, or nothing.
    pub fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }
}

/// Parses the tokens of one file. `include` directives are left in place
/// (the loader expands them).
pub fn parse(file: &Rc<str>, tokens: Vec<Token>) -> Result<Vec<Directive>, ImportError> {
    let mut stack: Vec<(Directive, Vec<Directive>)> = Vec::new();
    let mut current: Vec<Directive> = Vec::new();
    let mut words: Vec<(String, bool, usize)> = Vec::new();
    let mut last_line = 1;
    for token in tokens {
        match token {
            Token::Word { text, quoted, line } => {
                last_line = line;
                words.push((text, quoted, line));
            }
            Token::Semi(line) | Token::Open(line) => {
                last_line = line;
                let is_block = matches!(token, Token::Open(_));
                let mut it = std::mem::take(&mut words).into_iter();
                let Some((name, _, name_line)) = it.next() else {
                    let what = if is_block { "{" } else { ";" };
                    return Err(ImportError::at(
                        file,
                        line,
                        format!("unexpected \"{what}\""),
                    ));
                };
                let directive = Directive {
                    name,
                    args: it.map(|(text, quoted, _)| Arg { text, quoted }).collect(),
                    block: None,
                    at: At {
                        file: file.clone(),
                        line: name_line,
                    },
                };
                if is_block {
                    stack.push((directive, std::mem::take(&mut current)));
                } else {
                    current.push(directive);
                }
            }
            Token::Close(line) => {
                last_line = line;
                if !words.is_empty() {
                    return Err(ImportError::at(
                        file,
                        line,
                        "unexpected \"}\": a directive before it has no \";\"",
                    ));
                }
                let Some((mut directive, parent)) = stack.pop() else {
                    return Err(ImportError::at(file, line, "unexpected \"}\""));
                };
                directive.block = Some(std::mem::replace(&mut current, parent));
                current.push(directive);
            }
        }
    }
    if !words.is_empty() {
        return Err(ImportError::at(
            file,
            last_line,
            "unexpected end of file, expecting \";\" or \"}\"",
        ));
    }
    if let Some((open, _)) = stack.last() {
        return Err(ImportError::at(
            file,
            last_line,
            format!(
                "unexpected end of file, expecting \"}}\" (the block of \"{}\" at line {} is not closed)",
                open.name, open.at.line
            ),
        ));
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::nginx::lexer::tokenize;

    fn tree(text: &str) -> Result<Vec<Directive>, ImportError> {
        let file: Rc<str> = Rc::from("t.conf");
        parse(&file, tokenize("t.conf", text.as_bytes())?)
    }

    #[test]
    fn test_parse_blocks_and_lines() {
        let t = tree("http {\n  server {\n    listen 80;\n  }\n}\nuser x;\n").unwrap();
        assert_eq!(t.len(), 2);
        let server = &t[0].children()[0];
        assert_eq!(server.name, "server");
        assert_eq!(server.children()[0].texts(), ["80"]);
        assert_eq!(server.children()[0].at.line, 3);
        assert_eq!(t[1].at.line, 6);
    }

    #[test]
    fn test_parse_errors() {
        let e = tree("http {\n server {\n listen 80;\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.conf:3: unexpected end of file, expecting \"}\" (the block of \"server\" at line 2 is not closed)"
        );
        let e = tree("a b\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.conf:1: unexpected end of file, expecting \";\""),
            "{e}"
        );
        assert_eq!(
            tree("}\n").unwrap_err().to_string(),
            "t.conf:1: unexpected \"}\""
        );
        assert_eq!(
            tree(";\n").unwrap_err().to_string(),
            "t.conf:1: unexpected \";\""
        );
    }
}
