//! Where things are in the configuration text: byte offsets (the spans that
//! `toml_edit::ImDocument` keeps) to 1-based line numbers, and spans to the
//! value exactly as the user wrote it, for error messages.

use std::ops::Range;
use std::path::Path;

/// Longest value text quoted in a message; longer values are cut with `…`.
const MAX_SHOWN: usize = 100;

/// The text of one configuration file and its line starts.
#[derive(Debug)]
pub struct Source<'s> {
    /// The file name used in messages.
    pub path: &'s Path,
    /// The whole file.
    pub text: &'s str,
    /// Byte offset where each line starts (line 1 at index 0).
    line_starts: Vec<usize>,
}

impl<'s> Source<'s> {
    /// Indexes the lines of `text`.
    pub fn new(path: &'s Path, text: &'s str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            path,
            text,
            line_starts,
        }
    }

    /// The 1-based line that contains byte `offset` (the last line for an
    /// offset at or past the end).
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// The line where `span` starts, if there is a span.
    pub fn line_of_span(&self, span: Option<Range<usize>>) -> Option<usize> {
        span.map(|s| self.line_of(s.start))
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &'s str {
        let start = self.line_starts.get(line.saturating_sub(1)).copied();
        let Some(start) = start else { return "" };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// The text of `span` as written, whitespace runs collapsed to one space
    /// and cut to a readable length; empty when there is no span.
    pub fn raw(&self, span: Option<Range<usize>>) -> String {
        let Some(text) = span.and_then(|s| self.text.get(s)) else {
            return String::new();
        };
        shorten(&text.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// `text` cut to [`MAX_SHOWN`] characters, with `…` when cut.
pub fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_SHOWN {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_SHOWN).collect();
    cut.push('…');
    cut
}

/// Where a value was written: its line, its dotted key path and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spot {
    /// 1-based line.
    pub line: usize,
    /// Dotted key path, e.g. `route[0].upstream[1]`.
    pub key: String,
    /// The value as written (not yet redacted).
    pub raw: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_line_of_offsets() {
        let src = Source::new(Path::new("f"), "a = 1\nb = 2\n\nc = 3");
        assert_eq!(src.line_of(0), 1);
        assert_eq!(src.line_of(5), 1);
        assert_eq!(src.line_of(6), 2);
        assert_eq!(src.line_of(12), 3);
        assert_eq!(src.line_of(13), 4);
        assert_eq!(src.line_of(100), 4);
    }

    #[test]
    fn test_line_text() {
        let src = Source::new(Path::new("f"), "a = 1\r\nb = 2\n");
        assert_eq!(src.line_text(1), "a = 1");
        assert_eq!(src.line_text(2), "b = 2");
        assert_eq!(src.line_text(9), "");
    }

    #[test]
    fn test_raw_collapses_whitespace() {
        let text = "x = [\n  \"a\",\n  \"b\",\n]";
        let src = Source::new(Path::new("f"), text);
        assert_eq!(src.raw(Some(4..text.len())), "[ \"a\", \"b\", ]");
        assert_eq!(src.raw(None), "");
    }

    #[test]
    fn test_shorten_long_values() {
        let long = "x".repeat(150);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), MAX_SHOWN + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(shorten("short"), "short");
    }
}
