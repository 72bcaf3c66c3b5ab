//! `[store]`: where users, sessions and the rest of the account data live
//! (`url = ""`: the embedded SQLite file in `data_dir`; `postgres://…`: a
//! PostgreSQL server, docs/cluster.md). The URL's password never appears
//! in messages: errors show it masked (`error.rs`), and so does `Debug`.

use super::file::{as_str, Cx, Section};
use super::store_model::StoreSettings;
use crate::store_url as url;

/// Reads `[store]`.
pub fn read_store(cx: &mut Cx<'_>, mut sec: Section<'_>) -> StoreSettings {
    let url = sec
        .get(cx, "url", |v| {
            let s = as_str(v)?;
            url::check(s).map(|()| s.to_owned())
        })
        .map(|a| a.value)
        .unwrap_or_default();
    sec.finish(cx);
    StoreSettings { url }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_debug_masks_the_password() {
        let s = StoreSettings {
            url: "postgres://gh:hunter2@db/gatehouse".into(),
        };
        let shown = format!("{s:?}");
        assert!(shown.contains("gh:***@db"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
