//! API keys: made with a fresh token whose hash alone is kept, listed without it, revoked, and checked
//! on every request that carries one.

use chrono::{DateTime, SubsecRound, Utc};
use entity::api_key;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, SqlErr};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::{Store, StoreError};
use crate::domain::{generate_token, token_hash, token_prefix, ApiKey, CreatedApiKey, FieldError};
use crate::domain::{KeyName, Role};

/// A key, named as an operator names it: by id, or by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRef {
    Id(Uuid),
    Name(String),
}

impl KeyRef {
    /// A UUID names a key by id; anything else, by name.
    pub fn parse(text: &str) -> Self {
        text.parse()
            .map_or_else(|_| Self::Name(text.to_owned()), Self::Id)
    }
}

impl std::fmt::Display for KeyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "id {id}"),
            Self::Name(name) => write!(f, "name `{name}`"),
        }
    }
}

/// What a presented token turned out to be.
#[derive(Clone, Debug)]
pub enum KeyCheck {
    /// Not shaped like a token this service issues.
    Malformed,
    /// Shaped like one, but no key has it.
    Unknown,
    Revoked(ApiKey),
    Expired(ApiKey),
    Valid(ApiKey),
}

fn key_of(model: api_key::Model) -> Result<ApiKey, StoreError> {
    let role: Role = model.role.parse().map_err(|error: String| {
        StoreError::Database(DbErr::Custom(format!(
            "the stored key {} cannot be read: {error}",
            model.id
        )))
    })?;
    Ok(ApiKey {
        id: model.id,
        name: model.name,
        role,
        prefix: model.prefix,
        created_at: model.created_at,
        last_used_at: model.last_used_at,
        expires_at: model.expires_at,
        revoked_at: model.revoked_at,
    })
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl Store {
    /// Makes a key and returns it with its token, which is not kept and cannot be shown again.
    pub async fn create_key(
        &self,
        name: &KeyName,
        role: Role,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<CreatedApiKey, StoreError> {
        let (prefix, token) = generate_token().map_err(|error| {
            StoreError::Database(DbErr::Custom(format!(
                "the operating system gave no randomness for a token: {error}"
            )))
        })?;
        let model = api_key::Model {
            id: Uuid::now_v7(),
            name: name.as_str().to_owned(),
            role: role.as_str().to_owned(),
            prefix,
            token_hash: hex::encode(token_hash(&token)),
            created_at: now(),
            last_used_at: None,
            expires_at: expires_at.map(|at| at.trunc_subsecs(6)),
            revoked_at: None,
        };
        let _guard = self.lock_writes().await;
        let active: api_key::ActiveModel = model.clone().into();
        api_key::Entity::insert(active)
            .exec_without_returning(&self.db)
            .await
            .map_err(|error| match error.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    StoreError::Conflict(vec![FieldError::new(
                        "/name",
                        format!(
                            "a key named `{}` exists already (revoked keys keep their names, so the \
                             change feed's actors stay unambiguous); choose another name",
                            name.as_str()
                        ),
                    )])
                }
                _ => StoreError::Database(error),
            })?;
        Ok(CreatedApiKey {
            token,
            key: key_of(model)?,
        })
    }

    /// Every key, revoked and expired ones too, oldest first.
    pub async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        api_key::Entity::find()
            .order_by_asc(api_key::Column::CreatedAt)
            .order_by_asc(api_key::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(key_of)
            .collect()
    }

    async fn find_key(&self, key: &KeyRef) -> Result<Option<api_key::Model>, DbErr> {
        let select = api_key::Entity::find();
        match key {
            KeyRef::Id(id) => select.filter(api_key::Column::Id.eq(*id)),
            KeyRef::Name(name) => select.filter(api_key::Column::Name.eq(name.as_str())),
        }
        .one(&self.db)
        .await
    }

    /// Revokes a key: every request with it fails from now on. Revoking a revoked key changes nothing.
    pub async fn revoke_key(&self, key: &KeyRef) -> Result<ApiKey, StoreError> {
        let _guard = self.lock_writes().await;
        let mut model = self
            .find_key(key)
            .await?
            .ok_or_else(|| StoreError::NoSuchKey(key.to_string()))?;
        if model.revoked_at.is_none() {
            let at = now();
            api_key::Entity::update_many()
                .col_expr(api_key::Column::RevokedAt, Expr::value(at))
                .filter(api_key::Column::Id.eq(model.id))
                .filter(api_key::Column::RevokedAt.is_null())
                .exec(&self.db)
                .await?;
            model.revoked_at = Some(at);
        }
        key_of(model)
    }

    /// Finds the key a token belongs to. The token's prefix finds the row; its hash is then compared in
    /// constant time, so timing tells nothing about how much of a guessed secret was right.
    pub async fn check_key(&self, token: &str) -> Result<KeyCheck, StoreError> {
        let Some(prefix) = token_prefix(token) else {
            return Ok(KeyCheck::Malformed);
        };
        let Some(model) = api_key::Entity::find()
            .filter(api_key::Column::Prefix.eq(prefix))
            .one(&self.db)
            .await?
        else {
            return Ok(KeyCheck::Unknown);
        };
        let presented = hex::encode(token_hash(token));
        if !bool::from(presented.as_bytes().ct_eq(model.token_hash.as_bytes())) {
            return Ok(KeyCheck::Unknown);
        }
        let key = key_of(model)?;
        Ok(if key.revoked_at.is_some() {
            KeyCheck::Revoked(key)
        } else if key.expires_at.is_some_and(|at| at <= Utc::now()) {
            KeyCheck::Expired(key)
        } else {
            KeyCheck::Valid(key)
        })
    }

    /// Records that a key was used now.
    pub async fn touch_key(&self, id: Uuid) -> Result<(), StoreError> {
        let _guard = self.lock_writes().await;
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now()))
            .filter(api_key::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Whether a key exists that can manage keys: an admin key neither revoked nor expired.
    pub async fn has_admin_key(&self) -> Result<bool, StoreError> {
        let now = Utc::now();
        Ok(api_key::Entity::find()
            .filter(api_key::Column::Role.eq(Role::Admin.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .all(&self.db)
            .await?
            .iter()
            .any(|key| key.expires_at.is_none_or(|at| at > now)))
    }
}
