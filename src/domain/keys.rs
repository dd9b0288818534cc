//! API keys as clients and operators see them: roles, names, lifetimes, and the tokens themselves.
//!
//! A token is `ic_<prefix>_<secret>`: the prefix (12 hex digits) names the key in lists and is how the
//! store finds it; the secret is 256 random bits. Only the SHA-256 of the whole token is stored, so a
//! leaked database does not leak working keys, and the token is shown once, when the key is made.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

/// What a key may do. Each role may do everything the roles before it may.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read, where reads are not public (`INTERCITY_PUBLIC_READ=false`).
    Reader,
    /// Read and write data.
    Editor,
    /// Everything, including managing keys.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Self::Reader, Self::Editor, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a role; use reader, editor or admin"))
    }
}

/// Longest key name.
pub const MAX_KEY_NAME: usize = 64;

/// A key's name: what the change feed records as the `actor` of each write made with it. Unique among
/// all keys, revoked ones included, so an actor always names one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9][A-Za-z0-9._-]*$",
    example = "partner-sync")]
pub struct KeyName(String);

impl TryFrom<String> for KeyName {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        let valid = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            && name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if name.is_empty() || name.len() > MAX_KEY_NAME || !valid {
            Err(format!(
                "must be 1 to {MAX_KEY_NAME} letters, digits, `.`, `_` or `-`, starting with a letter or digit"
            ))
        } else if name == "seed" {
            Err("`seed` is the actor of the seed loader; choose another name".into())
        } else {
            Ok(Self(name))
        }
    }
}

impl From<KeyName> for String {
    fn from(name: KeyName) -> String {
        name.0
    }
}

impl KeyName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long a new key lasts: a number of days (`90d`) or hours (`12h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[1-9][0-9]*[dh]$", example = "90d")]
pub struct Lifetime(Duration);

impl From<Lifetime> for String {
    fn from(lifetime: Lifetime) -> Self {
        let hours = lifetime.0.num_hours();
        if hours % 24 == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{hours}h")
        }
    }
}

/// Longest lifetime a key may be given: ten years.
const MAX_LIFETIME_DAYS: i64 = 3650;

impl std::str::FromStr for Lifetime {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid =
            || format!("`{text}` is not a lifetime such as `90d` (days) or `12h` (hours)");
        let unit = text.chars().last().ok_or_else(invalid)?;
        let digits = &text[..text.len() - unit.len_utf8()];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let amount: i64 = digits.parse().map_err(|_| {
            format!("`{text}` is longer than the {MAX_LIFETIME_DAYS} days a key may last")
        })?;
        let duration = match unit {
            'd' if amount <= MAX_LIFETIME_DAYS => Duration::days(amount),
            'h' if amount <= MAX_LIFETIME_DAYS * 24 => Duration::hours(amount),
            'd' | 'h' => {
                return Err(format!(
                    "`{text}` is longer than the {MAX_LIFETIME_DAYS} days a key may last"
                ))
            }
            _ => return Err(invalid()),
        };
        if amount == 0 {
            return Err(invalid());
        }
        Ok(Self(duration))
    }
}

impl TryFrom<String> for Lifetime {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl Lifetime {
    pub fn duration(self) -> Duration {
        self.0
    }

    /// When a key made at `now` with this lifetime expires.
    pub fn expiry(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.0
    }
}

/// A key as lists show it: never its token.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApiKey {
    #[schema(example = "0193a5b2-7c3e-7d40-8000-000000000001")]
    pub id: Uuid,
    #[schema(example = "partner-sync")]
    pub name: String,
    pub role: Role,
    /// The start of the token (`ic_` and 12 hex digits), enough to tell which key a client holds.
    #[schema(example = "ic_3f9a1c0b7e42")]
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// The last request made with the key, to the minute; `null` if it was never used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// `null` if the key does not expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// `null` unless the key was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// `active`, `expired` or `revoked`.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|at| at <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

/// A key to make.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    pub name: KeyName,
    pub role: Role,
    /// How long the key lasts; it never expires if this is left out.
    #[serde(default)]
    pub expires: Option<Lifetime>,
}

/// A key just made, with its token: the only time the token is shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// Send as `Authorization: Bearer <token>`. Keep it secret: it cannot be shown again.
    #[schema(
        example = "ic_3f9a1c0b7e42_0c1d2e3f405162738495a6b7c8d9eaf00112233445566778899aabbccddeeff0"
    )]
    pub token: String,
    #[serde(flatten)]
    pub key: ApiKey,
}

/// A list of keys.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKey>,
}

const TOKEN_SCHEME: &str = "ic_";
const PREFIX_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;

fn is_lower_hex(text: &str, length: usize) -> bool {
    text.len() == length && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A fresh token: returns (prefix, token). Fails only if the operating system has no randomness to give.
pub fn generate_token() -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; PREFIX_BYTES + SECRET_BYTES];
    getrandom::fill(&mut bytes)?;
    let prefix = format!("{TOKEN_SCHEME}{}", hex::encode(&bytes[..PREFIX_BYTES]));
    let token = format!("{prefix}_{}", hex::encode(&bytes[PREFIX_BYTES..]));
    Ok((prefix, token))
}

/// The prefix of a token this service could have issued, or None if it has another shape.
pub fn token_prefix(token: &str) -> Option<&str> {
    let rest = token.strip_prefix(TOKEN_SCHEME)?;
    let (id, secret) = rest.split_once('_')?;
    (is_lower_hex(id, PREFIX_BYTES * 2) && is_lower_hex(secret, SECRET_BYTES * 2))
        .then(|| &token[..TOKEN_SCHEME.len() + PREFIX_BYTES * 2])
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_their_prefix_and_are_distinct() {
        let (prefix, token) = generate_token().unwrap();
        assert_eq!(token_prefix(&token), Some(prefix.as_str()));
        assert_eq!(token.len(), 3 + 12 + 1 + 64);
        assert_ne!(generate_token().unwrap().1, token);
        assert_eq!(token_prefix("ic_123"), None);
        assert_eq!(token_prefix(&token.to_uppercase()), None);
        assert_eq!(token_prefix(&format!("{token}0")), None);
    }

    #[test]
    fn lifetimes_and_names() {
        assert_eq!(
            "90d".parse::<Lifetime>().unwrap().duration(),
            Duration::days(90)
        );
        assert_eq!(
            "12h".parse::<Lifetime>().unwrap().duration(),
            Duration::hours(12)
        );
        for bad in ["", "d", "0d", "-1d", "3w", "99999d", "1.5d"] {
            assert!(bad.parse::<Lifetime>().is_err(), "{bad}");
        }
        assert!(KeyName::try_from("partner-sync".to_owned()).is_ok());
        for bad in ["", "-x", "a b", "seed", &"x".repeat(65)] {
            assert!(KeyName::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }
}
