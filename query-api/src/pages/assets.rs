//! The dashboard's and overlays' files (`web/`), built into the binary so
//! that `wavestack up` serves them with no extra step and no network.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub(crate) struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $path:literal, $type:expr) => {
        Asset { name: $name, content_type: $type, body: include_bytes!(concat!("../../../web/", $path)) }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

pub(crate) const APP_INDEX: Asset = asset!("index.html", "app/index.html", HTML);
pub(crate) const OVERLAY_INDEX: Asset = asset!("index.html", "overlay/index.html", HTML);

pub(crate) const APP: [Asset; 4] = [
    asset!("app.js", "app/app.js", JS),
    asset!("lib.js", "app/lib.js", JS),
    asset!("pages.js", "app/pages.js", JS),
    asset!("app.css", "app/app.css", CSS),
];

pub(crate) const OVERLAY: [Asset; 2] =
    [asset!("overlay.js", "overlay/overlay.js", JS), asset!("overlay.css", "overlay/overlay.css", CSS)];

/// Scripts only from this origin (no inline script, no eval), media and
/// images also from where clips are hosted, nothing framing the
/// dashboard, and no referrer (an overlay's address holds its key).
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: http: https:; media-src 'self' blob: http: https:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

impl Asset {
    pub(crate) fn response(&self) -> Response {
        let mut response = (StatusCode::OK, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        // Pages change with the binary: always revalidated, never stale.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

pub(crate) fn find<'a>(assets: &'a [Asset], name: &str) -> Option<&'a Asset> {
    assets.iter().find(|a| a.name == name)
}
