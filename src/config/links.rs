//! `[[link]]`: portal-home tiles for sites Gatehouse does not proxy (an
//! Organizr tab on another host): `title`, `url`, `auth` (who sees it) and
//! `home_min_group` (Organizr's `group_id_max`).

use super::file::{as_str, string, Cx, Section};
use super::model::HomeLink;
use super::routes::array_tables;
use super::validate::{check_group, check_http_url};
use crate::groups;

/// Every `[[link]]`, in file order.
pub fn read_links(cx: &mut Cx<'_>, root: &mut Section<'_>) -> Vec<HomeLink> {
    array_tables(cx, root, "link")
        .into_iter()
        .filter_map(|sec| read_link(cx, sec))
        .collect()
}

/// One `[[link]]`: `title` and `url` are required.
fn read_link(cx: &mut Cx<'_>, mut sec: Section<'_>) -> Option<HomeLink> {
    let groups = cx.groups.clone();
    let title = sec.required(cx, "title", |v| match string(v)? {
        t if t.trim().is_empty() => Err("title must not be empty".to_owned()),
        t => Ok(t),
    });
    let url = sec.required(cx, "url", |v| as_str(v).and_then(check_http_url_or_query));
    let group = sec
        .get(cx, "auth", |v| check_group(v, &groups))
        .map_or(groups::GUEST, |a| a.value);
    let home_min_group = sec
        .get(cx, "home_min_group", |v| check_group(v, &groups))
        .map_or(0, |a| a.value);
    sec.finish(cx);
    Some(HomeLink {
        title: title?.value,
        url: url?.value,
        group,
        home_min_group,
    })
}

/// A link target: an `http(s)://` URL with a host; unlike upstream URLs a
/// query is allowed.
fn check_http_url_or_query(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("invalid URL: {e}"))?;
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    check_http_url(bare.as_str())?;
    Ok(url)
}
