//! API keys: a token's SHA-256 (never the token), its role, and when it was made, used, revoked and
//! when it expires.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique; the `actor` of the change feed.
    #[sea_orm(unique)]
    pub name: String,
    /// `reader`, `editor` or `admin`.
    pub role: String,
    /// `ic_` and 12 hex digits: the start of the token, how a request's key is found.
    #[sea_orm(unique)]
    pub prefix: String,
    /// SHA-256 of the whole token, in hex.
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
