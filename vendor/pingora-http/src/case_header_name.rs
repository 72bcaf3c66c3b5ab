// Copyright 2026 Cloudflare, Inc.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

use crate::*;
use bytes::Bytes;
use http::header;

#[derive(Debug, Clone)]
pub struct CaseHeaderName(Bytes);

impl CaseHeaderName {
    pub fn new(name: String) -> Self {
        CaseHeaderName(name.into())
    }
}

impl CaseHeaderName {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn from_slice(buf: &[u8]) -> Self {
        CaseHeaderName(Bytes::copy_from_slice(buf))
    }
}

/// A trait that converts into case-sensitive header names.
pub trait IntoCaseHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName;

    /// Gatehouse patch (12): the case-sensitive name together with the [`HeaderName`] it
    /// stands for. By default the case-sensitive name is parsed; a type that already holds
    /// the parsed name returns it as it is (no parsing, and for a custom name no copy of
    /// its bytes).
    fn into_names(self) -> Result<(CaseHeaderName, HeaderName)>
    where
        Self: Sized,
    {
        let case_header_name = self.into_case_header_name();
        let header_name = HeaderName::from_bytes(case_header_name.as_slice())
            .or_err(InvalidHTTPHeader, "invalid header name")?;
        Ok((case_header_name, header_name))
    }
}

/// Gatehouse patch (12): a header name parsed once, with the case it is written in on the
/// wire, for a header that is inserted again and again (a proxy's configured request
/// headers). Inserting it clones two reference-counted handles: nothing is parsed or
/// allocated.
#[derive(Debug, Clone)]
pub struct PreparedHeaderName {
    name: HeaderName,
    case: CaseHeaderName,
}

impl PreparedHeaderName {
    /// A name written on the wire as `case` (e.g. `X-Real-IP`).
    pub fn new(case: &str) -> Result<Self> {
        let name = HeaderName::from_bytes(case.as_bytes())
            .or_err(InvalidHTTPHeader, "invalid header name")?;
        Ok(PreparedHeaderName {
            name,
            case: CaseHeaderName::from_slice(case.as_bytes()),
        })
    }

    /// A name written on the wire as an inserted [`HeaderName`] is: its titled case for
    /// the common standard headers, lowercase otherwise.
    pub fn from_header_name(name: HeaderName) -> Self {
        PreparedHeaderName {
            case: CaseHeaderName(titled_header_name(&name)),
            name,
        }
    }

    /// The parsed name (for looking the header up or removing it).
    pub fn header_name(&self) -> &HeaderName {
        &self.name
    }
}

impl IntoCaseHeaderName for PreparedHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        self.case
    }

    fn into_names(self) -> Result<(CaseHeaderName, HeaderName)> {
        Ok((self.case, self.name))
    }
}

impl IntoCaseHeaderName for &PreparedHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        self.case.clone()
    }

    fn into_names(self) -> Result<(CaseHeaderName, HeaderName)> {
        Ok((self.case.clone(), self.name.clone()))
    }
}

impl IntoCaseHeaderName for CaseHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        self
    }
}

impl IntoCaseHeaderName for String {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(self.into())
    }
}

impl IntoCaseHeaderName for &'static str {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(self.into())
    }
}

impl IntoCaseHeaderName for HeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(titled_header_name(&self))
    }

    /// Gatehouse patch (12): the name itself, not parsed again from its case name.
    fn into_names(self) -> Result<(CaseHeaderName, HeaderName)> {
        Ok((CaseHeaderName(titled_header_name(&self)), self))
    }
}

impl IntoCaseHeaderName for &HeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(titled_header_name(self))
    }

    /// Gatehouse patch (12): the name itself, not parsed again from its case name.
    fn into_names(self) -> Result<(CaseHeaderName, HeaderName)> {
        Ok((CaseHeaderName(titled_header_name(self)), self.clone()))
    }
}

impl IntoCaseHeaderName for Bytes {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(self)
    }
}

fn titled_header_name(header_name: &HeaderName) -> Bytes {
    titled_header_name_str(header_name).map_or_else(
        || Bytes::copy_from_slice(header_name.as_str().as_bytes()),
        |s| Bytes::from_static(s.as_bytes()),
    )
}

pub(crate) fn titled_header_name_str(header_name: &HeaderName) -> Option<&'static str> {
    Some(match *header_name {
        header::ACCEPT_RANGES => "Accept-Ranges",
        header::AGE => "Age",
        header::CACHE_CONTROL => "Cache-Control",
        header::CONNECTION => "Connection",
        header::CONTENT_TYPE => "Content-Type",
        header::CONTENT_ENCODING => "Content-Encoding",
        header::CONTENT_LENGTH => "Content-Length",
        header::DATE => "Date",
        header::TRANSFER_ENCODING => "Transfer-Encoding",
        header::HOST => "Host",
        header::SERVER => "Server",
        header::SET_COOKIE => "Set-Cookie",
        // TODO: add more const header here to map to their titled case
        // TODO: automatically upper case the first letter?
        _ => {
            return None;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_case_header_name() {
        assert_eq!("FoO".into_case_header_name().as_slice(), b"FoO");
        assert_eq!("FoO".to_string().into_case_header_name().as_slice(), b"FoO");
        assert_eq!(header::SERVER.into_case_header_name().as_slice(), b"Server");
    }

    #[test]
    fn test_into_names() {
        let (case, name) = "X-Real-IP".into_names().unwrap();
        assert_eq!((case.as_slice(), name.as_str()), (&b"X-Real-IP"[..], "x-real-ip"));
        let (case, name) = header::HOST.into_names().unwrap();
        assert_eq!((case.as_slice(), name), (&b"Host"[..], header::HOST));
        let custom = HeaderName::from_static("x-forwarded-for");
        let (case, name) = (&custom).into_names().unwrap();
        assert_eq!((case.as_slice(), name), (&b"x-forwarded-for"[..], custom));
        assert!("bad name".into_names().is_err());

        let prepared = PreparedHeaderName::new("X-WEBAUTH-USER").unwrap();
        assert_eq!(prepared.header_name().as_str(), "x-webauth-user");
        let (case, name) = (&prepared).into_names().unwrap();
        assert_eq!((case.as_slice(), name.as_str()), (&b"X-WEBAUTH-USER"[..], "x-webauth-user"));
        let (case, _) = PreparedHeaderName::from_header_name(header::CONTENT_LENGTH)
            .into_names()
            .unwrap();
        assert_eq!(case.as_slice(), b"Content-Length");
        assert!(PreparedHeaderName::new("bad name").is_err());
    }
}
