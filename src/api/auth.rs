//! Who is calling, and what they may do.
//!
//! `authenticate` (a middleware, so a refused request is refused before its body is read) checks the
//! `Authorization: Bearer` token of every request under `/v1`, decides from the method and path the least
//! role the request needs (`required_role`: one rule for every endpoint, present and future), applies the
//! per-key write rate limit, and leaves the `Caller` for the handler. Handlers call `Caller::require` for
//! the role they need, which also gives writes the key name the change feed records as their actor.
//!
//! Nothing here logs or echoes a token: error details name the key only once its token has proved it.

use std::collections::HashMap;
use std::future::{ready, Ready};
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use chrono::Utc;
use uuid::Uuid;

use crate::domain::{ApiKey, Role};
use crate::error::ApiError;
use crate::store::{KeyCheck, Store};

/// Who access is open to (app data).
#[derive(Clone, Copy, Debug)]
pub struct Access {
    /// Whether reads need no key.
    pub public_read: bool,
}

/// The key behind a request that carried a valid one.
#[derive(Clone, Debug)]
pub struct Actor {
    pub key_id: Uuid,
    /// The key's name: the change feed's `actor`.
    pub name: String,
    pub role: Role,
}

/// The caller of a request, as `authenticate` found it.
#[derive(Clone, Debug)]
pub enum Caller {
    Anonymous,
    Key(Actor),
}

impl Caller {
    /// The caller's key, if its role is `role` or above: 401 without a key, 403 with one too weak.
    pub fn require(&self, role: Role) -> Result<&Actor, ApiError> {
        match self {
            Self::Anonymous => Err(ApiError::Unauthorized {
                detail: format!(
                    "this request needs an API key with the role {role} or above, sent as \
                     `Authorization: Bearer <token>`"
                ),
                invalid_token: false,
            }),
            Self::Key(actor) if actor.role < role => Err(ApiError::Forbidden(format!(
                "the API key `{}` has the role {}; this request needs {role} or above",
                actor.name, actor.role
            ))),
            Self::Key(actor) => Ok(actor),
        }
    }
}

/// The caller `authenticate` left on the request; anonymous where it did not run.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(request
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous)))
    }
}

/// Whether a request may change something: anything but GET, HEAD, OPTIONS and TRACE.
pub fn is_write(method: &Method) -> bool {
    ![Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE].contains(method)
}

/// The least role a request needs, from its method and (decoded) path alone; `None` if it needs no key.
/// Outside `/v1` (health checks, the OpenAPI document, the docs) nothing needs a key; key management
/// needs `admin`; every other write needs `editor`; reads need `reader` unless they are public.
pub fn required_role(method: &Method, path: &str, public_read: bool) -> Option<Role> {
    if !(path == "/v1" || path.starts_with("/v1/")) {
        return None;
    }
    if path == "/v1/keys" || path.starts_with("/v1/keys/") {
        return Some(Role::Admin);
    }
    if is_write(method) {
        Some(Role::Editor)
    } else if public_read {
        None
    } else {
        Some(Role::Reader)
    }
}

/// The per-key write rate limit: a token bucket per key that holds a minute's writes and refills
/// continuously. It lives in the process, so each instance behind a load balancer counts on its own.
pub struct WriteLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<Uuid, Bucket>>,
}

struct Bucket {
    writes: f64,
    at: Instant,
}

impl WriteLimiter {
    /// `per_minute` writes per key and minute; 0 means no limit.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one write from the key's bucket, or returns the whole seconds until there is one.
    pub fn take(&self, key: Uuid) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(key).or_insert(Bucket {
            writes: capacity,
            at: now,
        });
        let refilled = now.duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.writes = (bucket.writes + refilled).min(capacity);
        bucket.at = now;
        if bucket.writes >= 1.0 {
            bucket.writes -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.writes) / per_second).ceil().max(1.0) as u64)
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }
}

/// How often `last_used_at` is written for a key that keeps being used.
const LAST_USED_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// The token of an `Authorization` header: None without one, an error for any other shape.
fn bearer_token(request: &ServiceRequest) -> Result<Option<String>, ApiError> {
    let malformed = || ApiError::Unauthorized {
        detail: "send the key as `Authorization: Bearer <token>`, once".into(),
        invalid_token: true,
    };
    let mut values = request.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(malformed());
    }
    let text = value.to_str().map_err(|_| malformed())?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(malformed()),
    }
}

/// The caller a token stands for, or why it stands for none.
async fn caller_of(store: &Store, token: Option<String>) -> Result<Caller, ApiError> {
    let Some(token) = token else {
        return Ok(Caller::Anonymous);
    };
    let invalid = |detail: String| ApiError::Unauthorized {
        detail,
        invalid_token: true,
    };
    match store.check_key(&token).await? {
        KeyCheck::Malformed | KeyCheck::Unknown => {
            Err(invalid("the API key is not one this service issued".into()))
        }
        KeyCheck::Revoked(key) => Err(invalid(format!(
            "the API key `{}` was revoked; ask an administrator for a new one",
            key.name
        ))),
        KeyCheck::Expired(key) => Err(invalid(format!(
            "the API key `{}` expired at {}; ask an administrator for a new one",
            key.name,
            key.expires_at.map(|at| at.to_rfc3339()).unwrap_or_default()
        ))),
        KeyCheck::Valid(key) => {
            touch(store, &key);
            Ok(Caller::Key(Actor {
                key_id: key.id,
                name: key.name,
                role: key.role,
            }))
        }
    }
}

/// Records the use of a key, at most once a minute, without making the request wait for it.
fn touch(store: &Store, key: &ApiKey) {
    let stale = key
        .last_used_at
        .is_none_or(|at| Utc::now() - at >= LAST_USED_RESOLUTION);
    if stale {
        let store = store.clone();
        let id = key.id;
        actix_web::rt::spawn(async move {
            if let Err(error) = store.touch_key(id).await {
                tracing::warn!(key_id = %id, %error, "could not record when a key was used");
            }
        });
    }
}

/// Checks the caller of every request under `/v1` (see the module's documentation).
pub async fn authenticate(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    match admit(&request).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            Ok(next.call(request).await?.map_into_left_body())
        }
        Err(error) => Ok(request
            .into_response(error.error_response())
            .map_into_right_body()),
    }
}

async fn admit(request: &ServiceRequest) -> Result<Caller, ApiError> {
    let path = request.match_info().as_str();
    if !(path == "/v1" || path.starts_with("/v1/")) {
        return Ok(Caller::Anonymous);
    }
    let public_read = request
        .app_data::<Access>()
        .is_none_or(|access| access.public_read);
    let needed = required_role(request.method(), path, public_read);
    let token = bearer_token(request)?;
    let caller = match request.app_data::<web::Data<Store>>() {
        Some(store) => caller_of(store, token).await?,
        None => Caller::Anonymous,
    };
    if let Some(role) = needed {
        caller.require(role)?;
    }
    if let (Caller::Key(actor), true) = (&caller, is_write(request.method())) {
        if let Some(limiter) = request.app_data::<web::Data<WriteLimiter>>() {
            limiter
                .take(actor.key_id)
                .map_err(|retry_after| ApiError::TooManyRequests {
                    per_minute: limiter.per_minute(),
                    retry_after,
                })?;
        }
    }
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_method_and_path() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(required_role(&get, "/healthz", false), None);
        assert_eq!(required_role(&post, "/openapi.json", false), None);
        assert_eq!(required_role(&get, "/v1/cities", true), None);
        assert_eq!(required_role(&get, "/v1/cities", false), Some(Role::Reader));
        assert_eq!(required_role(&post, "/v1/import", true), Some(Role::Editor));
        assert_eq!(
            required_role(&Method::DELETE, "/v1/cities/x", true),
            Some(Role::Editor)
        );
        assert_eq!(required_role(&get, "/v1/keys", true), Some(Role::Admin));
        assert_eq!(
            required_role(&Method::DELETE, "/v1/keys/x", true),
            Some(Role::Admin)
        );
        assert_eq!(required_role(&get, "/v1/keysmith", true), None);
    }

    #[test]
    fn the_bucket_holds_a_minute_of_writes() {
        let limiter = WriteLimiter::new(3);
        let key = Uuid::now_v7();
        for _ in 0..3 {
            assert_eq!(limiter.take(key), Ok(()));
        }
        assert_eq!(limiter.take(key), Err(20));
        assert_eq!(limiter.take(Uuid::now_v7()), Ok(()));
        assert_eq!(WriteLimiter::new(0).take(key), Ok(()));
    }
}
