//! Reading the file format: tables, keys and TOML types, with every problem
//! collected instead of stopping at the first one.
//!
//! This plays the role of serde's `deny_unknown_fields` structs, but reports
//! *all* errors with their lines: a [`Section`] hands out the keys a caller
//! asks for (converting and checking each value, recording failures in
//! [`Cx`]), and [`Section::finish`] reports every key nobody asked for as
//! unknown. Values keep the `toml_edit::ImDocument` spans, so every error has
//! the line of the offending key, array element or table header.

use toml_edit::{Item, TableLike, Value};

use super::error::{shown_value, ConfigError};
use super::locate::{Source, Spot};

/// Collects the errors of one file while it is read.
#[derive(Debug)]
pub struct Cx<'s> {
    /// The file being read.
    pub src: Source<'s>,
    /// Every error so far, in the order found.
    pub errors: Vec<ConfigError>,
    /// `[groups]`, read first so every group key can use the names.
    pub groups: super::model::GroupNames,
}

impl<'s> Cx<'s> {
    /// Starts reading `src`.
    pub fn new(src: Source<'s>) -> Self {
        Cx {
            src,
            errors: Vec::new(),
            groups: super::model::GroupNames::default(),
        }
    }

    /// Records that the value at `spot` is bad for `reason`.
    pub fn report(&mut self, spot: &Spot, reason: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.src.path.to_path_buf(),
            line: spot.line,
            key: spot.key.clone(),
            reason: reason.into(),
            value: shown_value(&spot.key, &spot.raw),
        });
    }

    /// Where `value` (found under `key`) was written, or `fallback_line`.
    fn spot(&self, key: String, value: &Value, fallback_line: usize) -> Spot {
        let line = self.src.line_of_span(value.span()).unwrap_or(fallback_line);
        Spot {
            line,
            key,
            raw: self.src.raw(value.span()),
        }
    }
}

/// A value that was read, with where it was written.
#[derive(Debug, Clone)]
pub struct At<T> {
    /// The converted value.
    pub value: T,
    /// Its line, key path and text.
    pub spot: Spot,
}

/// One TOML table (`[proxy]`, a `[[route]]`, an inline table) being read.
pub struct Section<'a> {
    /// Dotted path of the table (`""` for the root).
    path: String,
    /// `None` when the table is absent: every key then reads as absent.
    table: Option<&'a dyn TableLike>,
    /// Line of the table header (for missing keys).
    line: usize,
    /// Keys the caller asked for.
    asked: Vec<String>,
}

impl<'a> Section<'a> {
    /// A section over `table` (absent when `None`), headed at `line`.
    pub fn new(path: impl Into<String>, table: Option<&'a dyn TableLike>, line: usize) -> Self {
        Section {
            path: path.into(),
            table,
            line,
            asked: Vec::new(),
        }
    }

    /// The header line of this table.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Whether `key` is written in this table (does not mark it as known).
    pub fn has(&self, key: &str) -> bool {
        self.table.is_some_and(|t| t.contains_key(key))
    }

    /// The dotted path of `key` in this table.
    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The raw item of `key` with its spot; marks `key` as known.
    pub fn item(&mut self, cx: &Cx<'_>, key: &str) -> Option<(Spot, &'a Item)> {
        self.asked.push(key.to_owned());
        self.locate(cx, key)
    }

    /// The raw item of `key` with its spot, without marking it as known.
    fn locate(&self, cx: &Cx<'_>, key: &str) -> Option<(Spot, &'a Item)> {
        let (k, item) = self.table?.get_key_value(key)?;
        let line = cx
            .src
            .line_of_span(k.span())
            .or_else(|| cx.src.line_of_span(item.span()))
            .unwrap_or(self.line);
        let spot = Spot {
            line,
            key: self.key_path(key),
            raw: cx.src.raw(item.span()),
        };
        Some((spot, item))
    }

    /// Reads `key` with `convert`; a type or value error is recorded and
    /// gives `None`, as does an absent key.
    pub fn get<T>(
        &mut self,
        cx: &mut Cx<'_>,
        key: &str,
        convert: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<At<T>> {
        let (spot, item) = self.item(cx, key)?;
        let Some(value) = item.as_value() else {
            cx.report(
                &spot,
                format!("expected a value, found {}", item.type_name()),
            );
            return None;
        };
        match convert(value) {
            Ok(value) => Some(At { value, spot }),
            Err(reason) => {
                cx.report(&spot, reason);
                None
            }
        }
    }

    /// Like [`Section::get`] but records "missing" at the table header when absent.
    pub fn required<T>(
        &mut self,
        cx: &mut Cx<'_>,
        key: &str,
        convert: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<At<T>> {
        let present = self.has(key);
        let got = self.get(cx, key, convert);
        if !present {
            self.report_missing(cx, key, "required key is missing");
        }
        got
    }

    /// Reads a list: an array (or, when `single` is true, one bare string
    /// standing for a one-element list), converting each element; elements
    /// that fail are recorded (key `key[i]`, their own line) and left out.
    pub fn list<T>(
        &mut self,
        cx: &mut Cx<'_>,
        key: &str,
        single: bool,
        mut convert: impl FnMut(&Value) -> Result<T, String>,
    ) -> Option<At<Vec<At<T>>>> {
        let (spot, item) = self.item(cx, key)?;
        let elements: Vec<&Value> = match item.as_value() {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::String(_)) if single => vec![v],
            _ => {
                cx.report(
                    &spot,
                    format!("expected an array, found {}", item.type_name()),
                );
                return None;
            }
        };
        let mut out = Vec::new();
        for (i, element) in elements.into_iter().enumerate() {
            let spot = cx.spot(format!("{}[{i}]", spot.key), element, spot.line);
            match convert(element) {
                Ok(value) => out.push(At { value, spot }),
                Err(reason) => cx.report(&spot, reason),
            }
        }
        Some(At { value: out, spot })
    }

    /// Reports `key` of this table as missing (at the table header).
    pub fn report_missing(&self, cx: &mut Cx<'_>, key: &str, reason: &str) {
        let spot = Spot {
            line: self.line,
            key: self.key_path(key),
            raw: String::new(),
        };
        cx.report(&spot, reason);
    }

    /// The sub-table `key` (a `[a.b]` table or an inline table); an absent
    /// key gives an empty section, a non-table value an error.
    pub fn table(&mut self, cx: &mut Cx<'_>, key: &str) -> Section<'a> {
        let path = self.key_path(key);
        let Some((spot, item)) = self.item(cx, key) else {
            return Section::new(path, None, self.line);
        };
        match item.as_table_like() {
            Some(table) => Section::new(path, Some(table), spot.line),
            None => {
                cx.report(
                    &spot,
                    format!("expected a table, found {}", item.type_name()),
                );
                Section::new(path, None, spot.line)
            }
        }
    }

    /// Every entry of this table as (key, spot, value), marking all as known:
    /// for maps whose keys are data (`set_headers`, `identity_headers`).
    pub fn entries(&mut self, cx: &mut Cx<'_>) -> Vec<(String, Spot, &'a Value)> {
        let Some(table) = self.table else {
            return Vec::new();
        };
        let keys: Vec<String> = table.iter().map(|(k, _)| k.to_owned()).collect();
        let mut out = Vec::new();
        for key in keys {
            let Some((spot, item)) = self.item(cx, &key) else {
                continue;
            };
            match item.as_value() {
                Some(value) => out.push((key, spot, value)),
                None => cx.report(
                    &spot,
                    format!("expected a value, found {}", item.type_name()),
                ),
            }
        }
        out
    }

    /// Reports every key of the table that was never asked for as unknown.
    pub fn finish(self, cx: &mut Cx<'_>) {
        let Some(table) = self.table else { return };
        for (key, _) in table.iter() {
            if self.asked.iter().any(|k| k == key) {
                continue;
            }
            if let Some((spot, _)) = self.locate(cx, key) {
                cx.report(&spot, "unknown key");
            }
        }
    }
}

/// The plain value of a key read with [`Section::get`].
pub fn plain<T>(at: Option<At<T>>) -> Option<T> {
    at.map(|a| a.value)
}

/// The plain values of a list read with [`Section::list`].
pub fn values<T>(list: Option<At<Vec<At<T>>>>) -> Option<Vec<T>> {
    list.map(|l| l.value.into_iter().map(|a| a.value).collect())
}

/// The text of a string value.
pub fn as_str(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, found {}", value.type_name()))
}

/// A string value, owned.
pub fn string(value: &Value) -> Result<String, String> {
    as_str(value).map(str::to_owned)
}

/// A boolean value.
pub fn boolean(value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("expected true or false, found {}", value.type_name()))
}

/// An integer value in `0..=max`.
pub fn uint(value: &Value, max: u64) -> Result<u64, String> {
    let n = value
        .as_integer()
        .ok_or_else(|| format!("expected an integer, found {}", value.type_name()))?;
    u64::try_from(n)
        .ok()
        .filter(|&n| n <= max)
        .ok_or_else(|| format!("expected an integer from 0 to {max}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use toml_edit::ImDocument;

    fn with_root<R>(text: &str, f: impl FnOnce(&mut Cx<'_>, Section<'_>) -> R) -> (R, Vec<String>) {
        let doc = ImDocument::parse(text.to_owned()).unwrap();
        let mut cx = Cx::new(Source::new(Path::new("t.toml"), text));
        let root = Section::new("", Some(doc.as_table() as &dyn TableLike), 1);
        let r = f(&mut cx, root);
        (r, cx.errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn test_section_unknown_keys_all_reported() {
        let ((), errs) = with_root("a = 1\nzz = 2\n[t]\nb = 3\nyy = 4\n", |cx, mut root| {
            root.get(cx, "a", |v| uint(v, 9));
            let mut t = root.table(cx, "t");
            t.get(cx, "b", |v| uint(v, 9));
            t.finish(cx);
            root.finish(cx);
        });
        assert_eq!(
            errs,
            vec![
                "t.toml:5: t.yy: unknown key (4)",
                "t.toml:2: zz: unknown key (2)"
            ]
        );
    }

    #[test]
    fn test_section_type_error_has_line() {
        let (got, errs) = with_root("\n\nflag = \"yes\"\n", |cx, mut root| {
            root.get(cx, "flag", boolean)
        });
        assert!(got.is_none());
        assert_eq!(
            errs,
            vec!["t.toml:3: flag: expected true or false, found string (\"yes\")"]
        );
    }

    #[test]
    fn test_section_required_missing_uses_header_line() {
        let (_, errs) = with_root("x = 1\n\n[t]\nother = 1\n", |cx, mut root| {
            root.get(cx, "x", |v| uint(v, 9));
            let mut t = root.table(cx, "t");
            t.required(cx, "name", string)
        });
        assert_eq!(errs, vec!["t.toml:3: t.name: required key is missing"]);
    }

    #[test]
    fn test_section_list_element_lines() {
        let text = "l = [\n  1,\n  \"two\",\n  3,\n]\n";
        let (got, errs) = with_root(text, |cx, mut root| {
            values(root.list(cx, "l", false, |v| uint(v, 9)))
        });
        assert_eq!(got.unwrap(), vec![1, 3]);
        assert_eq!(
            errs,
            vec!["t.toml:3: l[1]: expected an integer, found string (\"two\")"]
        );
    }

    #[test]
    fn test_section_list_single_string() {
        let (got, _) = with_root("l = \"a\"\n", |cx, mut root| {
            values(root.list(cx, "l", true, string))
        });
        assert_eq!(got.unwrap(), vec!["a".to_owned()]);
        let (got, errs) = with_root("l = \"a\"\n", |cx, mut root| {
            root.list(cx, "l", false, string)
        });
        assert!(got.is_none());
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn test_section_table_wrong_type() {
        let (_, errs) = with_root("t = 5\n", |cx, mut root| {
            root.table(cx, "t");
        });
        assert_eq!(
            errs,
            vec!["t.toml:1: t: expected a table, found integer (5)"]
        );
    }

    #[test]
    fn test_section_entries_inline_table() {
        let (got, _) = with_root("m = { A = \"1\", b = \"2\" }\n", |cx, mut root| {
            let mut m = root.table(cx, "m");
            m.entries(cx)
                .into_iter()
                .map(|(k, s, _)| (k, s.key))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            got,
            vec![
                ("A".to_owned(), "m.A".to_owned()),
                ("b".to_owned(), "m.b".to_owned())
            ]
        );
    }

    #[test]
    fn test_uint_range() {
        let v: Value = "1000".parse().unwrap();
        assert!(uint(&v, 999).is_err());
        let v: Value = "-1".parse().unwrap();
        assert!(uint(&v, 999).is_err());
        let v: Value = "999".parse().unwrap();
        assert_eq!(uint(&v, 999), Ok(999));
    }
}
