//! The eight resources' bodies, as a client writes them (`NewCity`…) and reads them back (`City`…), with
//! the rules that span more than one field and the references each one makes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::*;

/// The fields every body may carry.
macro_rules! common_fields {
    ($(#[$attr:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$attr])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($body)*
            /// Ids of this record in other systems.
            #[serde(default)]
            pub external_ids: ExternalIds,
            /// Citations supporting this record.
            #[serde(default)]
            #[schema(value_type = Vec<Source>, max_items = 200)]
            pub sources: List<Source>,
            #[serde(default)]
            pub notes: Option<LongText>,
        }

        impl Common for $name {
            fn external_ids(&self) -> &ExternalIds {
                &self.external_ids
            }
            fn external_ids_mut(&mut self) -> &mut ExternalIds {
                &mut self.external_ids
            }
            fn sources(&self) -> &[Source] {
                &self.sources
            }
        }
    };
}

/// The record a client reads: metadata followed by the body.
macro_rules! record_type {
    ($(#[$attr:meta])* $name:ident($body:ident)) => {
        $(#[$attr])*
        #[derive(Clone, Debug, Serialize, ToSchema)]
        pub struct $name {
            #[serde(flatten)]
            pub meta: Meta,
            #[serde(flatten)]
            pub data: $body,
        }

        impl From<Record<$body>> for $name {
            fn from(record: Record<$body>) -> Self {
                Self { meta: record.meta, data: record.data }
            }
        }
    };
}

macro_rules! vocabulary {
    ($(#[$attr:meta])* $name:ident { $($variant:ident = $code:tt),* $(,)? }) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        pub enum $name { $(#[serde(rename = $code)] $variant),* }

        impl $name {
            /// The code as stored and filtered on.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code),* }
            }
        }
    };
}

/// Checks that `end` is not before `start`, comparing them at the precision both have.
fn check_order(
    start: &Option<PartialDate>,
    end: &Option<PartialDate>,
    field: &str,
) -> Vec<FieldError> {
    if let (Some(start), Some(end)) = (start, end) {
        let width = start.as_str().len().min(end.as_str().len());
        if end.as_str()[..width] < start.as_str()[..width] {
            return vec![FieldError::new(
                field,
                format!("{end} is before the start, {start}"),
            )];
        }
    }
    Vec::new()
}

/// Reports each id that appears twice in a list.
fn check_distinct(ids: &[Uuid], field: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            errors.push(FieldError::new(
                format!("{field}/{i}"),
                format!("{id} is listed twice"),
            ));
        }
    }
    errors
}

// ---------------------------------------------------------------------------------------------------
// Document

vocabulary! {
    /// The IATI document category: `A01` pre- and post-project impact appraisal, `A02` objectives /
    /// purpose of activity, `A03` intended ultimate beneficiaries, `A04` conditions, `A05` budget, `A06`
    /// summary information about contract, `A07` review of project performance and evaluation, `A08`
    /// results, outcomes and outputs, `A09` memorandum of understanding, `A10` tender, `A11` contract,
    /// `A12` activity web page; `B01` annual report, `B02` institutional strategy paper, `B03` country
    /// strategy paper, `B04` aid allocation policy, `B05` procurement policy and procedure, `B06`
    /// institutional audit report, `B07` country audit report, `B08` exclusions policy, `B09`
    /// institutional evaluation report, `B10` country evaluation report, `B11` sector strategy, `B12`
    /// thematic strategy, `B13` country-level memorandum of understanding, `B14` evaluations policy,
    /// `B15` general terms and conditions, `B16` organisation web page, `B17` country/region web page,
    /// `B18` sector web page.
    DocumentCategory {
        A01 = "A01", A02 = "A02", A03 = "A03", A04 = "A04", A05 = "A05", A06 = "A06", A07 = "A07",
        A08 = "A08", A09 = "A09", A10 = "A10", A11 = "A11", A12 = "A12", B01 = "B01", B02 = "B02",
        B03 = "B03", B04 = "B04", B05 = "B05", B06 = "B06", B07 = "B07", B08 = "B08", B09 = "B09",
        B10 = "B10", B11 = "B11", B12 = "B12", B13 = "B13", B14 = "B14", B15 = "B15", B16 = "B16",
        B17 = "B17", B18 = "B18",
    }
}

/// A BCP 47 language tag such as `en`, `ja` or `zh-Hans`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", example = "en")]
pub struct LanguageTag(String);

impl TryFrom<String> for LanguageTag {
    type Error = String;
    fn try_from(tag: String) -> Result<Self, String> {
        let mut parts = tag.split('-');
        let language = parts.next().unwrap_or_default();
        let valid = (2..=3).contains(&language.len())
            && language.bytes().all(|b| b.is_ascii_alphabetic())
            && parts.all(|part| {
                (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if valid {
            Ok(Self(tag))
        } else {
            Err(format!(
                "`{tag}` is not a BCP 47 language tag such as en or zh-Hans"
            ))
        }
    }
}

impl From<LanguageTag> for String {
    fn from(tag: LanguageTag) -> String {
        tag.0
    }
}

impl LanguageTag {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute `http` or `https` URL of at most 2,000 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, format = "uri", max_length = 2000, example = "https://www.iges.or.jp/en/pub/actions-sustainable-society/en")]
pub struct WebUrl(String);

impl TryFrom<String> for WebUrl {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        match url::Url::parse(&text) {
            Ok(url) if text.len() <= 2000 && matches!(url.scheme(), "http" | "https") => {
                Ok(Self(text))
            }
            _ => Err(format!("`{text}` is not an http or https URL")),
        }
    }
}

impl From<WebUrl> for String {
    fn from(url: WebUrl) -> String {
        url.0
    }
}

common_fields! {
    /// A document that records cite: a report, a web page, a set of slides. Each record's `sources`
    /// name documents by id.
    pub struct NewDocument {
        #[schema(example = "Actions for a Sustainable Society: Collaboration between Asia and the City of Kitakyushu")]
        pub title: ShortText,
        /// Who published it.
        #[serde(default)]
        #[schema(example = "Institute for Global Environmental Strategies (IGES)")]
        pub publisher: Option<ShortText>,
        #[serde(default)]
        #[schema(example = "2018")]
        pub published: Option<PartialDate>,
        /// The language it is written in.
        #[serde(default)]
        pub language: Option<LanguageTag>,
        #[serde(default)]
        pub url: Option<WebUrl>,
        #[serde(default)]
        pub category: Option<DocumentCategory>,
    }
}
record_type!(
    /// A document.
    Document(NewDocument)
);

impl Body for NewDocument {
    const KIND: ResourceKind = ResourceKind::Document;

    fn validate(&self) -> Vec<FieldError> {
        Vec::new()
    }

    fn search_texts(&self) -> Vec<&str> {
        [
            Some(self.title.as_str()),
            self.publisher.as_ref().map(|p| p.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }
}

// ---------------------------------------------------------------------------------------------------
// City

vocabulary! {
    /// What level of place a record is: a `municipality` (a city or town), a `district` within one, a
    /// `province` (or state, region, prefecture), a `country`.
    AdminLevel {
        Country = "country", Province = "province", District = "district", Municipality = "municipality",
    }
}

common_fields! {
    /// A place cities cooperate in: usually a city or municipality, or a province or district.
    pub struct NewCity {
        /// English name.
        #[schema(example = "Kitakyushu")]
        pub name: ShortText,
        /// What level of place this is; a city when not given.
        #[serde(default)]
        pub admin_level: Option<AdminLevel>,
        /// The place this one lies in: the province of a city, the city of a district.
        #[serde(default)]
        pub parent_id: Option<Uuid>,
        /// Name in the local language and script.
        #[serde(default)]
        #[schema(example = "北九州市")]
        pub local_name: Option<ShortText>,
        /// The name in other languages, by BCP 47 tag.
        #[serde(default)]
        pub names: Names,
        /// Other spellings the sources use ("Haiphong").
        #[serde(default)]
        #[schema(value_type = Vec<ShortText>, max_items = 200, example = json!(["Haiphong"]))]
        pub aliases: List<ShortText>,
        pub country: CountryCode,
        #[serde(default)]
        #[schema(example = "Fukuoka")]
        pub region: Option<ShortText>,
        #[serde(default)]
        #[schema(minimum = -90, maximum = 90, example = 33.883)]
        pub latitude: Option<f64>,
        #[serde(default)]
        #[schema(minimum = -180, maximum = 180, example = 130.875)]
        pub longitude: Option<f64>,
        #[serde(default)]
        #[schema(example = 940000)]
        pub population: Option<u64>,
        #[serde(default)]
        #[schema(minimum = 1000, maximum = 9999, example = 2020)]
        pub population_year: Option<u16>,
    }
}
record_type!(
    /// A city.
    City(NewCity)
);

impl Body for NewCity {
    const KIND: ResourceKind = ResourceKind::City;

    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
            errors.push(FieldError::new("/latitude", "must be between -90 and 90"));
        }
        if self
            .longitude
            .is_some_and(|v| !(-180.0..=180.0).contains(&v))
        {
            errors.push(FieldError::new(
                "/longitude",
                "must be between -180 and 180",
            ));
        }
        if self.population.is_some_and(|v| v > i64::MAX as u64) {
            errors.push(FieldError::new("/population", "is too large"));
        }
        if self
            .population_year
            .is_some_and(|v| !(1000..=9999).contains(&v))
        {
            errors.push(FieldError::new(
                "/population_year",
                "must be a four-digit year",
            ));
        }
        errors
    }

    fn references(&self) -> Vec<Reference> {
        Reference::one("parent_id", ResourceKind::City, self.parent_id)
            .into_iter()
            .collect()
    }

    fn search_texts(&self) -> Vec<&str> {
        let mut texts = vec![self.name.as_str()];
        texts.extend(self.local_name.as_ref().map(|n| n.as_str()));
        texts.extend(self.names.0.values().map(|n| n.as_str()));
        texts.extend(self.aliases.iter().map(|a| a.as_str()));
        texts
    }

    fn display_name(&self, languages: &[String]) -> Option<String> {
        Some(
            self.names
                .pick(languages)
                .unwrap_or(self.name.as_str())
                .to_owned(),
        )
    }
}

// ---------------------------------------------------------------------------------------------------
// Organization

vocabulary! {
    /// What kind of body an organization is.
    OrganizationKind {
        NationalGovernment = "national_government", LocalGovernment = "local_government", GovernmentAgency = "government_agency", InternationalOrganization = "international_organization", DevelopmentBank = "development_bank", Company = "company", Utility = "utility", Ngo = "ngo", Academic = "academic", Association = "association", Other = "other",
    }
}

common_fields! {
    /// A funder, implementer or partner: a ministry, agency, city government, utility, company…
    pub struct NewOrganization {
        #[schema(example = "Japan International Cooperation Agency")]
        pub name: ShortText,
        #[serde(default)]
        #[schema(example = "JICA")]
        pub acronym: Option<ShortText>,
        pub kind: OrganizationKind,
        #[serde(default)]
        pub country: Option<CountryCode>,
        /// The city it belongs to, if any.
        #[serde(default)]
        pub city_id: Option<Uuid>,
        /// The organization it is part of, such as the ministry of an agency or the city of a bureau.
        #[serde(default)]
        pub parent_id: Option<Uuid>,
        #[serde(default)]
        #[schema(example = "1980")]
        pub founded: Option<PartialDate>,
        /// Names it had before, with when each was used.
        #[serde(default)]
        #[schema(value_type = Vec<FormerName>, max_items = 200)]
        pub former_names: List<FormerName>,
        /// The name in other languages, by BCP 47 tag.
        #[serde(default)]
        pub names: Names,
        /// Other spellings the sources use.
        #[serde(default)]
        #[schema(value_type = Vec<ShortText>, max_items = 200)]
        pub aliases: List<ShortText>,
    }
}

/// A name an organization had, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormerName {
    #[schema(example = "Kitakyushu International Techno-Cooperative Association")]
    pub name: ShortText,
    #[serde(default)]
    pub from: Option<PartialDate>,
    /// When the name stopped being used.
    #[serde(default)]
    #[schema(example = "2020-03")]
    pub until: Option<PartialDate>,
}
record_type!(
    /// An organization.
    Organization(NewOrganization)
);

impl Body for NewOrganization {
    const KIND: ResourceKind = ResourceKind::Organization;

    fn validate(&self) -> Vec<FieldError> {
        self.former_names
            .iter()
            .enumerate()
            .flat_map(|(i, former)| {
                check_order(
                    &former.from,
                    &former.until,
                    &format!("/former_names/{i}/until"),
                )
            })
            .collect()
    }

    fn references(&self) -> Vec<Reference> {
        [
            Reference::one("city_id", ResourceKind::City, self.city_id),
            Reference::one("parent_id", ResourceKind::Organization, self.parent_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn search_texts(&self) -> Vec<&str> {
        let mut texts = vec![self.name.as_str()];
        texts.extend(self.acronym.as_ref().map(|a| a.as_str()));
        texts.extend(self.names.0.values().map(|n| n.as_str()));
        texts.extend(self.aliases.iter().map(|a| a.as_str()));
        texts.extend(self.former_names.iter().map(|f| f.name.as_str()));
        texts
    }

    fn display_name(&self, languages: &[String]) -> Option<String> {
        Some(
            self.names
                .pick(languages)
                .unwrap_or(self.name.as_str())
                .to_owned(),
        )
    }
}

// ---------------------------------------------------------------------------------------------------
// Network

vocabulary! {
    /// What a group of cities is: a standing `network` of cities, a recurring `forum`, an
    /// `association` with members, or `other`.
    NetworkKind { Network = "network", Forum = "forum", Association = "association", Other = "other" }
}

/// A member of a network: a city or an organization, and when it joined and left.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkMember {
    #[serde(default)]
    pub city_id: Option<Uuid>,
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    #[serde(default)]
    #[schema(example = "1997")]
    pub joined: Option<PartialDate>,
    #[serde(default)]
    pub left: Option<PartialDate>,
}

common_fields! {
    /// A network or forum of cities, such as a regional network for a cleaner environment.
    pub struct NewNetwork {
        #[schema(example = "Kitakyushu Initiative Network")]
        pub name: ShortText,
        #[serde(default)]
        pub acronym: Option<ShortText>,
        pub kind: NetworkKind,
        #[serde(default)]
        #[schema(example = "2000")]
        pub established: Option<PartialDate>,
        #[serde(default)]
        pub ended: Option<PartialDate>,
        /// The organization that runs it.
        #[serde(default)]
        pub secretariat_id: Option<Uuid>,
        #[serde(default)]
        #[schema(value_type = Vec<NetworkMember>, max_items = 200)]
        pub members: List<NetworkMember>,
        #[serde(default)]
        pub summary: Option<LongText>,
    }
}
record_type!(
    /// A network.
    Network(NewNetwork)
);

impl Body for NewNetwork {
    const KIND: ResourceKind = ResourceKind::Network;

    fn validate(&self) -> Vec<FieldError> {
        let mut errors = check_order(&self.established, &self.ended, "/ended");
        for (i, member) in self.members.iter().enumerate() {
            if member.city_id.is_some() == member.organization_id.is_some() {
                errors.push(FieldError::new(
                    format!("/members/{i}"),
                    "a member is a city_id or an organization_id",
                ));
            }
            errors.extend(check_order(
                &member.joined,
                &member.left,
                &format!("/members/{i}/left"),
            ));
        }
        let ids: Vec<Uuid> = self
            .members
            .iter()
            .filter_map(|m| m.city_id.or(m.organization_id))
            .collect();
        errors.extend(check_distinct(&ids, "/members"));
        errors
    }

    fn search_texts(&self) -> Vec<&str> {
        [
            Some(self.name.as_str()),
            self.acronym.as_ref().map(|a| a.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs: Vec<Reference> = Reference::one(
            "secretariat_id",
            ResourceKind::Organization,
            self.secretariat_id,
        )
        .into_iter()
        .collect();
        for (i, member) in self.members.iter().enumerate() {
            let (target, id, field) = match (member.city_id, member.organization_id) {
                (Some(city), _) => (ResourceKind::City, city, "city_id"),
                (None, Some(organization)) => {
                    (ResourceKind::Organization, organization, "organization_id")
                }
                (None, None) => continue,
            };
            refs.push(Reference {
                pointer: format!("/members/{i}/{field}"),
                field: "members",
                target,
                id,
            });
        }
        refs
    }
}

// ---------------------------------------------------------------------------------------------------
// Partnership

vocabulary! {
    /// The form of a partnership between two cities.
    PartnershipKind {
        SisterCity = "sister_city", FriendshipCity = "friendship_city", GreenSisterCity = "green_sister_city", EnvironmentalSisterCity = "environmental_sister_city", TechnicalCooperation = "technical_cooperation", Other = "other",
    }
}

vocabulary! {
    /// Whether a partnership still runs.
    PartnershipStatus {
        Active = "active", Ended = "ended",
    }
}

common_fields! {
    /// A partnership between two cities (an unordered pair).
    pub struct NewPartnership {
        /// Exactly two distinct cities.
        #[schema(min_items = 2, max_items = 2)]
        pub city_ids: Vec<Uuid>,
        pub kind: PartnershipKind,
        #[serde(default)]
        pub status: Option<PartnershipStatus>,
        #[serde(default)]
        #[schema(example = "1979")]
        pub established: Option<PartialDate>,
        #[serde(default)]
        pub ended: Option<PartialDate>,
        #[serde(default)]
        #[schema(example = "Kitakyushu–Dalian friendship city partnership")]
        pub title: Option<ShortText>,
        #[serde(default)]
        pub summary: Option<LongText>,
        /// How its form and status changed, oldest first: from each `date` on, the partnership had that
        /// `kind` and/or `status`. The latest kind and status given here are `kind` and `status`.
        #[serde(default)]
        #[schema(value_type = Vec<PartnershipChange>, max_items = 200)]
        pub history: List<PartnershipChange>,
    }
}

/// A change of a partnership's form or status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnershipChange {
    #[schema(example = "2014")]
    pub date: PartialDate,
    #[serde(default)]
    pub kind: Option<PartnershipKind>,
    #[serde(default)]
    pub status: Option<PartnershipStatus>,
    /// What happened, such as the agreement that upgraded it.
    #[serde(default)]
    #[schema(example = "Upgraded to sister cities")]
    pub note: Option<ShortText>,
}
record_type!(
    /// A partnership.
    Partnership(NewPartnership)
);

impl Body for NewPartnership {
    const KIND: ResourceKind = ResourceKind::Partnership;

    fn validate(&self) -> Vec<FieldError> {
        let mut errors = check_order(&self.established, &self.ended, "/ended");
        if self.city_ids.len() != 2 {
            errors.push(FieldError::new(
                "/city_ids",
                format!(
                    "a partnership joins exactly two cities; {} given",
                    self.city_ids.len()
                ),
            ));
        }
        errors.extend(check_distinct(&self.city_ids, "/city_ids"));
        for (i, change) in self.history.iter().enumerate() {
            let at = format!("/history/{i}");
            if change.kind.is_none() && change.status.is_none() {
                errors.push(FieldError::new(
                    &at,
                    "give the kind or the status it changed to",
                ));
            }
            if i > 0 {
                errors.extend(check_order(
                    &Some(self.history[i - 1].date.clone()),
                    &Some(change.date.clone()),
                    &format!("{at}/date"),
                ));
            }
        }
        let latest_kind = self
            .history
            .iter()
            .rev()
            .find_map(|c| c.kind.map(|k| (c, k)));
        if let Some((_, kind)) = latest_kind.filter(|(_, kind)| *kind != self.kind) {
            errors.push(FieldError::new(
                "/kind",
                format!("the latest kind in history is {}", kind.as_str()),
            ));
        }
        let latest_status = self.history.iter().rev().find_map(|c| c.status);
        if latest_status.is_some_and(|status| Some(status) != self.status) {
            errors.push(FieldError::new(
                "/status",
                "must be the latest status in history",
            ));
        }
        errors
    }

    fn search_texts(&self) -> Vec<&str> {
        self.title.iter().map(|t| t.as_str()).collect()
    }

    fn references(&self) -> Vec<Reference> {
        Reference::many("city_ids", ResourceKind::City, &self.city_ids)
    }
}

// ---------------------------------------------------------------------------------------------------
// Agreement

vocabulary! {
    /// The form of an agreement.
    AgreementKind {
        SisterCityAgreement = "sister_city_agreement", MemorandumOfUnderstanding = "memorandum_of_understanding", LetterOfIntent = "letter_of_intent", CooperationAgreement = "cooperation_agreement", Other = "other",
    }
}

common_fields! {
    /// A signed agreement, usually behind a partnership.
    pub struct NewAgreement {
        #[serde(default)]
        pub partnership_id: Option<Uuid>,
        #[schema(example = "Memorandum of Understanding on Cooperation in Construction of Environment-friendly Cities")]
        pub title: ShortText,
        /// The title in other languages, by BCP 47 tag.
        #[serde(default)]
        pub titles: Names,
        pub kind: AgreementKind,
        #[serde(default)]
        #[schema(example = "2009-06-14")]
        pub signed: Option<PartialDate>,
        /// Organizations that signed it.
        #[serde(default)]
        #[schema(value_type = Vec<Uuid>, max_items = 200)]
        pub signatory_ids: List<Uuid>,
        /// The cities it binds, any number (a memorandum of nine cities names nine).
        #[serde(default)]
        #[schema(value_type = Vec<Uuid>, max_items = 200)]
        pub city_ids: List<Uuid>,
        /// The projects it started.
        #[serde(default)]
        #[schema(value_type = Vec<Uuid>, max_items = 200)]
        pub project_ids: List<Uuid>,
        /// The earlier agreement this one renews.
        #[serde(default)]
        pub renews_id: Option<Uuid>,
        /// When it is in force.
        #[serde(default)]
        pub term: Option<Term>,
    }
}

/// The period an agreement is in force.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Term {
    #[serde(default)]
    #[schema(example = "2009-06")]
    pub from: Option<PartialDate>,
    #[serde(default)]
    #[schema(example = "2012-06")]
    pub until: Option<PartialDate>,
}
record_type!(
    /// An agreement.
    Agreement(NewAgreement)
);

impl Body for NewAgreement {
    const KIND: ResourceKind = ResourceKind::Agreement;

    fn validate(&self) -> Vec<FieldError> {
        let mut errors = check_distinct(&self.signatory_ids, "/signatory_ids");
        errors.extend(check_distinct(&self.city_ids, "/city_ids"));
        errors.extend(check_distinct(&self.project_ids, "/project_ids"));
        if let Some(term) = &self.term {
            errors.extend(check_order(&term.from, &term.until, "/term/until"));
        }
        errors
    }

    fn search_texts(&self) -> Vec<&str> {
        let mut texts = vec![self.title.as_str()];
        texts.extend(self.titles.0.values().map(|t| t.as_str()));
        texts
    }

    fn display_name(&self, languages: &[String]) -> Option<String> {
        Some(
            self.titles
                .pick(languages)
                .unwrap_or(self.title.as_str())
                .to_owned(),
        )
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs: Vec<Reference> = Reference::one(
            "partnership_id",
            ResourceKind::Partnership,
            self.partnership_id,
        )
        .into_iter()
        .collect();
        refs.extend(Reference::many(
            "signatory_ids",
            ResourceKind::Organization,
            &self.signatory_ids,
        ));
        refs.extend(Reference::many(
            "city_ids",
            ResourceKind::City,
            &self.city_ids,
        ));
        refs.extend(Reference::many(
            "project_ids",
            ResourceKind::Project,
            &self.project_ids,
        ));
        refs.extend(Reference::one(
            "renews_id",
            ResourceKind::Agreement,
            self.renews_id,
        ));
        refs
    }
}

// ---------------------------------------------------------------------------------------------------
// Project

vocabulary! {
    /// Where a project stands.
    ProjectStatus {
        Planned = "planned", Active = "active", Completed = "completed", Cancelled = "cancelled",
    }
}

vocabulary! {
    /// What an organization does in a project. With their IATI participating-org roles: `funder` (1
    /// Funding), `accountable` (2 Accountable: answers for the project, such as the ministry that owns
    /// it), `extending` (3 Extending: manages the funder's money, such as an agency acting for a
    /// government), `implementer` (4 Implementing); `partner` and `beneficiary` have no IATI role.
    ParticipantRole {
        Funder = "funder", Accountable = "accountable", Extending = "extending", Implementer = "implementer",
        Partner = "partner", Beneficiary = "beneficiary",
    }
}

vocabulary! {
    /// A policy objective a project targets: the OECD DAC Rio markers (`climate_mitigation`,
    /// `climate_adaptation`, `biodiversity`, `desertification`) and the DAC environment marker
    /// (`environment`); IATI policy-marker codes 6, 7, 5, 8 and 2.
    PolicyMarkerCode {
        ClimateMitigation = "climate_mitigation", ClimateAdaptation = "climate_adaptation",
        Biodiversity = "biodiversity", Desertification = "desertification", Environment = "environment",
    }
}

/// A policy marker with its significance: 0 not targeted, 1 a significant objective, 2 the principal
/// objective (IATI policy significance 0, 1, 2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyMarker {
    pub marker: PolicyMarkerCode,
    #[schema(minimum = 0, maximum = 2, example = 2)]
    pub significance: u8,
}

/// A target of the Sustainable Development Goals, as `goal.target`: `6.1`, `11.6`, `17.b`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = r"^(1[0-7]|[1-9])\.([1-9][0-9]?|[a-z])$", example = "6.1")]
pub struct SdgTarget(String);

impl TryFrom<String> for SdgTarget {
    type Error = String;
    fn try_from(code: String) -> Result<Self, String> {
        let valid = code.split_once('.').is_some_and(|(goal, target)| {
            goal.parse::<u8>()
                .is_ok_and(|goal| (1..=17).contains(&goal))
                && !goal.starts_with('0')
                && match target.as_bytes() {
                    [letter] if letter.is_ascii_lowercase() => true,
                    [] => false,
                    digits => {
                        digits.len() <= 2
                            && digits[0] != b'0'
                            && digits.iter().all(u8::is_ascii_digit)
                    }
                }
        });
        if valid {
            Ok(Self(code))
        } else {
            Err(format!("`{code}` is not an SDG target such as 6.1 or 17.b"))
        }
    }
}

impl From<SdgTarget> for String {
    fn from(code: SdgTarget) -> String {
        code.0
    }
}

impl SdgTarget {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

vocabulary! {
    /// What a result is (IATI result types 1, 2, 3): `output` (what the project delivers), `outcome` (the
    /// change it brings about), `impact` (the longer-term change).
    ResultKind { Output = "output", Outcome = "outcome", Impact = "impact" }
}

vocabulary! {
    /// How a result's indicator is measured (IATI indicator measures 1, 2, 5): `unit` (a number of units),
    /// `percentage`, `qualitative` (described in words).
    Measure { Unit = "unit", Percentage = "percentage", Qualitative = "qualitative" }
}

vocabulary! {
    /// How exactly the source states a value: `exact`; `approximately` ("about"); `at_least` ("over",
    /// "more than"); `at_most` ("under", "less than").
    ValueQualifier {
        Exact = "exact", Approximately = "approximately", AtLeast = "at_least", AtMost = "at_most",
    }
}

/// What a result measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultIndicator {
    #[schema(example = "non_revenue_water_rate")]
    pub metric: MetricCode,
    /// Required when `measure` is `unit`.
    #[serde(default)]
    #[schema(example = "%")]
    pub unit: Option<ShortText>,
    pub measure: Measure,
    /// Whether a higher value is better (false for, say, non-revenue water).
    #[serde(default = "higher_is_better")]
    #[schema(default = true)]
    pub ascending: bool,
}

fn higher_is_better() -> bool {
    true
}

/// A baseline, target or actual value of a result, for a period or undated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultPoint {
    #[serde(default)]
    #[schema(example = "1993")]
    pub period: Option<PartialDate>,
    /// Required unless the measure is qualitative.
    #[serde(default)]
    #[schema(example = "72")]
    pub value: Option<Decimal>,
    #[serde(default)]
    pub qualifier: Option<ValueQualifier>,
    /// The value in words: required for a qualitative measure.
    #[serde(default)]
    pub comment: Option<ShortText>,
}

/// A result of a project, with its indicator and its baseline, targets and actual values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectResult {
    pub kind: ResultKind,
    #[schema(example = "Non-revenue water reduced")]
    pub title: ShortText,
    pub indicator: ResultIndicator,
    #[serde(default)]
    pub baseline: Option<ResultPoint>,
    #[serde(default)]
    #[schema(value_type = Vec<ResultPoint>, max_items = 200)]
    pub targets: List<ResultPoint>,
    #[serde(default)]
    #[schema(value_type = Vec<ResultPoint>, max_items = 200)]
    pub actuals: List<ResultPoint>,
}

impl ProjectResult {
    fn validate(&self, at: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let measure = self.indicator.measure;
        if measure == Measure::Unit && self.indicator.unit.is_none() {
            errors.push(FieldError::new(
                format!("{at}/indicator/unit"),
                "is required when the measure is unit",
            ));
        }
        let points = self
            .baseline
            .iter()
            .map(|point| ("baseline".to_owned(), point))
            .chain(
                self.targets
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("targets/{i}"), p)),
            )
            .chain(
                self.actuals
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("actuals/{i}"), p)),
            );
        for (path, point) in points {
            let at = format!("{at}/{path}");
            match (measure, &point.value) {
                (Measure::Qualitative, Some(_)) => errors.push(FieldError::new(
                    format!("{at}/value"),
                    "a qualitative measure has no value; describe it in comment",
                )),
                (Measure::Qualitative, None) if point.comment.is_none() => {
                    errors.push(FieldError::new(
                        format!("{at}/comment"),
                        "is required for a qualitative measure",
                    ))
                }
                (Measure::Unit | Measure::Percentage, None) => errors.push(FieldError::new(
                    format!("{at}/value"),
                    "is required unless the measure is qualitative",
                )),
                _ => {}
            }
            if point.qualifier.is_some() && point.value.is_none() {
                errors.push(FieldError::new(
                    format!("{at}/qualifier"),
                    "qualifies a value; give the value too, or leave this out",
                ));
            }
        }
        errors
    }
}

vocabulary! {
    /// What a project site is.
    SiteKind {
        WaterTreatmentPlant = "water_treatment_plant", WastewaterTreatmentPlant = "wastewater_treatment_plant",
        Landfill = "landfill", CompostingFacility = "composting_facility", RecyclingFacility = "recycling_facility",
        PowerPlant = "power_plant", Factory = "factory", Island = "island", Area = "area", Other = "other",
    }
}

vocabulary! {
    /// How exactly a point places a site: `exact`, or `approximate` (the centre of the town or area).
    Exactness { Exact = "exact", Approximate = "approximate" }
}

/// A point on the earth (WGS 84).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Point {
    #[schema(minimum = -90, maximum = 90, example = 20.86)]
    pub latitude: f64,
    #[schema(minimum = -180, maximum = 180, example = 106.68)]
    pub longitude: f64,
}

/// A place where a project works: a plant, a landfill, an island.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    #[schema(example = "An Duong water treatment plant")]
    pub name: ShortText,
    #[serde(default)]
    pub kind: Option<SiteKind>,
    /// The city (or province) it lies in.
    #[serde(default)]
    pub city_id: Option<Uuid>,
    #[serde(default)]
    pub point: Option<Point>,
    /// Required with a point.
    #[serde(default)]
    pub exactness: Option<Exactness>,
}

/// An organization taking part in a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    pub organization_id: Uuid,
    pub role: ParticipantRole,
}

common_fields! {
    /// A project cities run together; the phases of one programme point to it with `parent_id`.
    pub struct NewProject {
        #[schema(example = "Phnom Penh water supply improvement")]
        pub title: ShortText,
        /// The title in other languages, by BCP 47 tag.
        #[serde(default)]
        pub titles: Names,
        #[serde(default)]
        pub summary: Option<LongText>,
        #[serde(default)]
        pub partnership_id: Option<Uuid>,
        /// Where it happens: one or more cities.
        #[schema(value_type = Vec<Uuid>, max_items = 200, min_items = 1)]
        pub city_ids: List<Uuid>,
        #[serde(default)]
        #[schema(value_type = Vec<Sector>, max_items = 200)]
        pub sectors: List<Sector>,
        #[serde(default)]
        pub status: Option<ProjectStatus>,
        #[serde(default)]
        #[schema(example = "1999")]
        pub start: Option<PartialDate>,
        #[serde(default)]
        #[schema(example = "2003-03")]
        pub end: Option<PartialDate>,
        /// The programme this project is a phase of.
        #[serde(default)]
        pub parent_id: Option<Uuid>,
        #[serde(default)]
        #[schema(value_type = Vec<Participant>, max_items = 200)]
        pub participants: List<Participant>,
        /// What the project achieved, in words.
        #[serde(default)]
        pub results_summary: Option<LongText>,
        /// The results framework: each result's indicator with its baseline, targets and actual values.
        #[serde(default)]
        #[schema(value_type = Vec<ProjectResult>, max_items = 200)]
        pub results: List<ProjectResult>,
        /// Policy objectives, each marker at most once.
        #[serde(default)]
        #[schema(value_type = Vec<PolicyMarker>, max_items = 200)]
        pub policy_markers: List<PolicyMarker>,
        /// SDG targets the project serves, each at most once.
        #[serde(default)]
        #[schema(value_type = Vec<SdgTarget>, max_items = 200, example = json!(["6.1", "11.6"]))]
        pub sdg_targets: List<SdgTarget>,
        /// Where on the ground: plants, landfills, islands.
        #[serde(default)]
        #[schema(value_type = Vec<Site>, max_items = 200)]
        pub sites: List<Site>,
    }
}
record_type!(
    /// A project.
    Project(NewProject)
);

impl Body for NewProject {
    const KIND: ResourceKind = ResourceKind::Project;

    fn validate(&self) -> Vec<FieldError> {
        let mut errors = check_order(&self.start, &self.end, "/end");
        if self.city_ids.is_empty() {
            errors.push(FieldError::new("/city_ids", "name at least one city"));
        }
        errors.extend(check_distinct(&self.city_ids, "/city_ids"));
        for (i, sector) in self.sectors.iter().enumerate() {
            if self.sectors[..i].contains(sector) {
                errors.push(FieldError::new(
                    format!("/sectors/{i}"),
                    format!("{} is listed twice", sector.code()),
                ));
            }
        }
        for (i, participant) in self.participants.iter().enumerate() {
            if self.participants[..i].contains(participant) {
                errors.push(FieldError::new(
                    format!("/participants/{i}"),
                    "this organization is listed twice in this role",
                ));
            }
        }
        for (i, result) in self.results.iter().enumerate() {
            errors.extend(result.validate(&format!("/results/{i}")));
        }
        for (i, marker) in self.policy_markers.iter().enumerate() {
            if marker.significance > 2 {
                errors.push(FieldError::new(
                    format!("/policy_markers/{i}/significance"),
                    "is 0 (not targeted), 1 (significant) or 2 (principal)",
                ));
            }
            if self.policy_markers[..i]
                .iter()
                .any(|m| m.marker == marker.marker)
            {
                errors.push(FieldError::new(
                    format!("/policy_markers/{i}"),
                    format!("{} is listed twice", marker.marker.as_str()),
                ));
            }
        }
        for (i, site) in self.sites.iter().enumerate() {
            if let Some(point) = &site.point {
                if !(-90.0..=90.0).contains(&point.latitude) {
                    errors.push(FieldError::new(
                        format!("/sites/{i}/point/latitude"),
                        "must be between -90 and 90",
                    ));
                }
                if !(-180.0..=180.0).contains(&point.longitude) {
                    errors.push(FieldError::new(
                        format!("/sites/{i}/point/longitude"),
                        "must be between -180 and 180",
                    ));
                }
                if site.exactness.is_none() {
                    errors.push(FieldError::new(
                        format!("/sites/{i}/exactness"),
                        "say how exactly the point places the site",
                    ));
                }
            }
        }
        for (i, target) in self.sdg_targets.iter().enumerate() {
            if self.sdg_targets[..i].contains(target) {
                errors.push(FieldError::new(
                    format!("/sdg_targets/{i}"),
                    format!("{} is listed twice", target.as_str()),
                ));
            }
        }
        errors
    }

    fn sectors(&self) -> Vec<Sector> {
        self.sectors.to_vec()
    }

    fn tags(&self) -> Vec<Tag> {
        let markers = self.policy_markers.iter().map(|m| Tag {
            vocabulary: TagVocabulary::PolicyMarker,
            code: m.marker.as_str().to_owned(),
            significance: Some(m.significance),
        });
        let targets = self.sdg_targets.iter().map(|t| Tag {
            vocabulary: TagVocabulary::SdgTarget,
            code: t.as_str().to_owned(),
            significance: None,
        });
        markers.chain(targets).collect()
    }

    fn search_texts(&self) -> Vec<&str> {
        let mut texts = vec![self.title.as_str()];
        texts.extend(self.titles.0.values().map(|t| t.as_str()));
        texts
    }

    fn display_name(&self, languages: &[String]) -> Option<String> {
        Some(
            self.titles
                .pick(languages)
                .unwrap_or(self.title.as_str())
                .to_owned(),
        )
    }

    fn references(&self) -> Vec<Reference> {
        let mut refs: Vec<Reference> = [
            Reference::one(
                "partnership_id",
                ResourceKind::Partnership,
                self.partnership_id,
            ),
            Reference::one("parent_id", ResourceKind::Project, self.parent_id),
        ]
        .into_iter()
        .flatten()
        .collect();
        refs.extend(Reference::many(
            "city_ids",
            ResourceKind::City,
            &self.city_ids,
        ));
        refs.extend(
            self.participants
                .iter()
                .enumerate()
                .map(|(i, p)| Reference {
                    pointer: format!("/participants/{i}/organization_id"),
                    field: "participants",
                    target: ResourceKind::Organization,
                    id: p.organization_id,
                }),
        );
        refs.extend(self.sites.iter().enumerate().filter_map(|(i, site)| {
            site.city_id.map(|id| Reference {
                pointer: format!("/sites/{i}/city_id"),
                field: "sites",
                target: ResourceKind::City,
                id,
            })
        }));
        refs
    }
}

// ---------------------------------------------------------------------------------------------------
// Funding

vocabulary! {
    /// How money or support was given. IATI finance types: `grant` 110 (standard grant), `loan` 410 (aid
    /// loan excluding debt reorganisation); `in_kind`, `own_budget` and `other` have none.
    Instrument {
        Grant = "grant", Loan = "loan", InKind = "in_kind", OwnBudget = "own_budget", Other = "other",
    }
}

vocabulary! {
    /// What an amount of money is, so that amounts of different kinds are never added together:
    ///
    /// - `pledge`: promised or announced, not yet a firm obligation (OCHA FTS "pledge"; no IATI
    ///   transaction type).
    /// - `budget`: planned for a period, such as an annual budget (IATI budget, type 1 original).
    /// - `commitment`: a firm obligation to provide the money, such as a signed grant or loan agreement
    ///   (IATI transaction type 2, Outgoing Commitment).
    /// - `disbursement`: paid out to the receiver (IATI transaction type 3, Disbursement).
    /// - `expenditure`: spent directly by the funder on goods and services (IATI transaction type 4,
    ///   Expenditure).
    /// - `contract_value`: the value of a contract awarded, such as a design or consulting contract (no
    ///   IATI type).
    /// - `total_cost`: the total cost of a project or investment, from every source together (no IATI
    ///   type).
    FundingKind {
        Pledge = "pledge", Budget = "budget", Commitment = "commitment", Disbursement = "disbursement",
        Expenditure = "expenditure", ContractValue = "contract_value", TotalCost = "total_cost",
    }
}

vocabulary! {
    /// The OECD DAC type of aid (IATI AidType vocabulary 1): `A01` general budget support, `A02` sector
    /// budget support, `B01` core support to NGOs, `B02` core contributions to multilateral institutions,
    /// `B03` contributions to specific-purpose programmes, `B04` basket funds, `C01` project-type
    /// interventions, `D01` donor country personnel (experts), `D02` other technical assistance, `E01`
    /// scholarships and training in the donor country, `E02` imputed student costs, `F01` debt relief,
    /// `G01` administrative costs, `H01` development awareness, `H02` refugees in donor countries.
    AidType {
        A01 = "A01", A02 = "A02", B01 = "B01", B02 = "B02", B03 = "B03", B04 = "B04", C01 = "C01",
        D01 = "D01", D02 = "D02", E01 = "E01", E02 = "E02", F01 = "F01", G01 = "G01", H01 = "H01",
        H02 = "H02",
    }
}

vocabulary! {
    /// How exactly the source states an amount: `exact`; `approximately` ("about", "approx.");
    /// `up_to` ("up to", a ceiling).
    AmountQualifier {
        Exact = "exact", Approximately = "approximately", UpTo = "up_to",
    }
}

common_fields! {
    /// Money or support a funder gave: to a project, or, where the sources state it without one, to a
    /// partnership or a country's programme.
    pub struct NewFunding {
        /// The project the money is for. One of `project_id`, `partnership_id` and `recipient_country` is
        /// required.
        #[serde(default)]
        pub project_id: Option<Uuid>,
        /// The partnership the money belongs to, such as a city-to-city programme funded as a whole.
        #[serde(default)]
        pub partnership_id: Option<Uuid>,
        /// The country whose programme received the money, where the sources name no project (IATI
        /// `recipient-country`).
        #[serde(default)]
        #[schema(example = "KH")]
        pub recipient_country: Option<CountryCode>,
        /// What the amount is; stats never add two kinds together.
        #[schema(example = "commitment")]
        pub kind: FundingKind,
        /// The organization that funds. A source that names no funder is recorded with
        /// `funder_description` instead: one of the two is required.
        #[serde(default)]
        pub funder_id: Option<Uuid>,
        /// The funder as the source describes it: where the source names no organization, or says more
        /// than the organization ("Japanese ODA loan", "the national government and others").
        #[serde(default)]
        #[schema(example = "Japanese ODA loan")]
        pub funder_description: Option<ShortText>,
        /// The organization that received the money, such as a water utility or a city government.
        #[serde(default)]
        pub receiver_id: Option<Uuid>,
        /// The funder's share of a cost, in percent (more than 0, at most 100).
        #[serde(default)]
        #[schema(exclusive_minimum = 0, maximum = 100, example = 20)]
        pub share: Option<f64>,
        #[serde(default)]
        #[schema(example = "JICA Partnership Program")]
        pub scheme: Option<ShortText>,
        #[serde(default)]
        pub instrument: Option<Instrument>,
        #[serde(default)]
        pub aid_type: Option<AidType>,
        /// The amount, with no more decimals than the currency has; omit it when the sources give none.
        #[serde(default)]
        #[schema(example = "800000000")]
        pub amount: Option<Amount>,
        /// Required with an amount.
        #[serde(default)]
        pub currency: Option<CurrencyCode>,
        /// How exactly the source states the amount.
        #[serde(default)]
        pub amount_qualifier: Option<AmountQualifier>,
        /// The period the amount is for, from `start` to `end` (partial dates). An amount for one year has
        /// `start` = `end` = the year; an amount for each of several years is one record per year, so
        /// that a sum over years counts each year's money once.
        #[serde(default)]
        #[schema(example = "1999")]
        pub start: Option<PartialDate>,
        #[serde(default)]
        #[schema(example = "2003")]
        pub end: Option<PartialDate>,
        /// The date whose exchange rate applies to the amount (IATI `value-date`).
        #[serde(default)]
        #[schema(example = "2016-03-31")]
        pub value_date: Option<PartialDate>,
    }
}
record_type!(
    /// A funding.
    Funding(NewFunding)
);

impl Body for NewFunding {
    const KIND: ResourceKind = ResourceKind::Funding;

    fn validate(&self) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> = self.money().err().into_iter().collect();
        errors.extend(check_order(&self.start, &self.end, "/end"));
        if self.project_id.is_none()
            && self.partnership_id.is_none()
            && self.recipient_country.is_none()
        {
            errors.push(FieldError::new(
                "/project_id",
                "give a project_id, a partnership_id or a recipient_country: what the money was for",
            ));
        }
        if self.funder_id.is_none() && self.funder_description.is_none() {
            errors.push(FieldError::new(
                "/funder_id",
                "is required unless funder_description says who funded",
            ));
        }
        if self
            .share
            .is_some_and(|share| !(share > 0.0 && share <= 100.0))
        {
            errors.push(FieldError::new(
                "/share",
                "is a percentage: more than 0, at most 100",
            ));
        }
        if self.amount_qualifier.is_some() && self.amount.is_none() {
            errors.push(FieldError::new(
                "/amount_qualifier",
                "qualifies an amount; give the amount too, or leave this out",
            ));
        }
        errors
    }

    fn search_texts(&self) -> Vec<&str> {
        [&self.scheme, &self.funder_description]
            .into_iter()
            .flatten()
            .map(|t| t.as_str())
            .collect()
    }

    fn references(&self) -> Vec<Reference> {
        [
            Reference::one("project_id", ResourceKind::Project, self.project_id),
            Reference::one(
                "partnership_id",
                ResourceKind::Partnership,
                self.partnership_id,
            ),
            Reference::one("funder_id", ResourceKind::Organization, self.funder_id),
            Reference::one("receiver_id", ResourceKind::Organization, self.receiver_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl NewFunding {
    /// The amount in minor units of its currency, if one is given.
    pub fn money(&self) -> Result<Option<Money>, FieldError> {
        match (&self.amount, self.currency) {
            (None, _) => Ok(None),
            (Some(_), None) => Err(FieldError::new(
                "/currency",
                "required when an amount is given",
            )),
            (Some(amount), Some(currency)) => Money::new(amount, currency)
                .map(Some)
                .map_err(|message| FieldError::new("/amount", message)),
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Exchange

vocabulary! {
    /// What kind of exchange of people.
    ExchangeKind {
        TraineeAcceptance = "trainee_acceptance", ExpertDispatch = "expert_dispatch", Seminar = "seminar", TrainingCourse = "training_course", StudyVisit = "study_visit", Other = "other",
    }
}

common_fields! {
    /// People exchanged between cities: trainees accepted, experts dispatched, seminars held.
    pub struct NewExchange {
        pub kind: ExchangeKind,
        /// The project it belongs to (this or `partnership_id`, or both).
        #[serde(default)]
        pub project_id: Option<Uuid>,
        #[serde(default)]
        pub partnership_id: Option<Uuid>,
        #[serde(default)]
        pub from_city_id: Option<Uuid>,
        #[serde(default)]
        pub to_city_id: Option<Uuid>,
        #[serde(default)]
        #[schema(example = "1997")]
        pub start: Option<PartialDate>,
        #[serde(default)]
        #[schema(example = "2008")]
        pub end: Option<PartialDate>,
        /// The cities taking part, for an exchange among several (a forum, a network meeting).
        #[serde(default)]
        #[schema(value_type = Vec<Uuid>, max_items = 200)]
        pub city_ids: List<Uuid>,
        /// How many took part, counted in `participants_unit`.
        #[serde(default)]
        // A count up to u32's maximum, more than `int32` (the format utoipa gives u32) holds.
        #[schema(example = 26, format = Int64, maximum = 4_294_967_295_u64)]
        pub participants: Option<u32>,
        /// What `participants` counts; people when not given.
        #[serde(default)]
        pub participants_unit: Option<ParticipantsUnit>,
        /// The participants by group, as the source counts them; they add up to `participants`.
        #[serde(default)]
        #[schema(value_type = Vec<ParticipantGroup>, max_items = 200)]
        pub breakdown: List<ParticipantGroup>,
        #[serde(default)]
        pub status: Option<ExchangeStatus>,
        #[serde(default)]
        #[schema(example = "Environmental technology trainees")]
        pub title: Option<ShortText>,
    }
}

vocabulary! {
    /// What an exchange's `participants` counts.
    ParticipantsUnit { People = "people", Organizations = "organizations", Cities = "cities" }
}

vocabulary! {
    /// Whether an exchange is still `planned` or was `held`.
    ExchangeStatus { Planned = "planned", Held = "held" }
}

/// A group of participants: "8 Kitakyushu representatives".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantGroup {
    #[schema(example = "Kitakyushu representatives")]
    pub group: ShortText,
    #[schema(example = 8, format = Int64, maximum = 4_294_967_295_u64)]
    pub count: u32,
}
record_type!(
    /// An exchange.
    Exchange(NewExchange)
);

impl Body for NewExchange {
    const KIND: ResourceKind = ResourceKind::Exchange;

    fn validate(&self) -> Vec<FieldError> {
        let mut errors = check_order(&self.start, &self.end, "/end");
        let anchored = self.project_id.is_some()
            || self.partnership_id.is_some()
            || self.from_city_id.is_some()
            || self.to_city_id.is_some()
            || !self.city_ids.is_empty();
        if !anchored {
            errors.push(FieldError::new(
                "/project_id",
                "give a project_id, a partnership_id or the cities taking part",
            ));
        }
        errors.extend(check_distinct(&self.city_ids, "/city_ids"));
        if !self.breakdown.is_empty() {
            let total: u64 = self.breakdown.iter().map(|g| u64::from(g.count)).sum();
            match self.participants {
                Some(participants) if u64::from(participants) != total => {
                    errors.push(FieldError::new(
                        "/breakdown",
                        format!("adds up to {total}, not to participants ({participants})"),
                    ))
                }
                None => errors.push(FieldError::new(
                    "/participants",
                    format!("is required with a breakdown (which adds up to {total})"),
                )),
                _ => {}
            }
        }
        if self.participants_unit.is_some() && self.participants.is_none() {
            errors.push(FieldError::new(
                "/participants_unit",
                "says what participants counts; give participants too, or leave this out",
            ));
        }
        errors
    }

    fn search_texts(&self) -> Vec<&str> {
        self.title.iter().map(|t| t.as_str()).collect()
    }

    fn references(&self) -> Vec<Reference> {
        [
            Reference::one("project_id", ResourceKind::Project, self.project_id),
            Reference::one(
                "partnership_id",
                ResourceKind::Partnership,
                self.partnership_id,
            ),
            Reference::one("from_city_id", ResourceKind::City, self.from_city_id),
            Reference::one("to_city_id", ResourceKind::City, self.to_city_id),
        ]
        .into_iter()
        .flatten()
        .chain(Reference::many(
            "city_ids",
            ResourceKind::City,
            &self.city_ids,
        ))
        .collect()
    }
}

// ---------------------------------------------------------------------------------------------------
// Indicator

/// A snake_case metric code such as `non_revenue_water_rate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[a-z][a-z0-9_]*$", max_length = 100, example = "non_revenue_water_rate")]
pub struct MetricCode(String);

impl TryFrom<String> for MetricCode {
    type Error = String;
    fn try_from(code: String) -> Result<Self, String> {
        let valid = code.len() <= 100
            && code.starts_with(|c: char| c.is_ascii_lowercase())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(Self(code))
        } else {
            Err(format!(
                "`{code}` is not a snake_case code such as non_revenue_water_rate"
            ))
        }
    }
}

impl From<MetricCode> for String {
    fn from(code: MetricCode) -> String {
        code.0
    }
}

impl MetricCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

common_fields! {
    /// A measured value of one metric for one subject: a city, an organization, a country, a
    /// partnership, or (alone) a project. A value is exact or qualified (`qualifier`), or a range
    /// (`value_low` to `value_high`); its period may be unknown.
    pub struct NewIndicator {
        /// The city measured. Exactly one of `city_id`, `organization_id`, `country` and
        /// `partnership_id` is the subject, or none of them and `project_id` alone.
        #[serde(default)]
        pub city_id: Option<Uuid>,
        /// The organization measured, such as a water utility.
        #[serde(default)]
        pub organization_id: Option<Uuid>,
        /// The country measured.
        #[serde(default)]
        #[schema(example = "VN")]
        pub country: Option<CountryCode>,
        /// The partnership measured.
        #[serde(default)]
        pub partnership_id: Option<Uuid>,
        /// The project the value measures: the subject itself when no other subject is given.
        #[serde(default)]
        pub project_id: Option<Uuid>,
        pub metric: MetricCode,
        #[schema(example = "%")]
        pub unit: ShortText,
        /// When the value holds; omitted when the sources give no date.
        #[serde(default)]
        #[schema(example = "2006")]
        pub period: Option<PartialDate>,
        /// The value; or else `value_low` and `value_high`.
        #[serde(default)]
        #[schema(example = "8")]
        pub value: Option<Decimal>,
        /// How exactly the source states `value`.
        #[serde(default)]
        pub qualifier: Option<ValueQualifier>,
        /// The low end of a range such as "20 to 30".
        #[serde(default)]
        pub value_low: Option<Decimal>,
        /// The high end of the range; not below `value_low`.
        #[serde(default)]
        pub value_high: Option<Decimal>,
    }
}
record_type!(
    /// An indicator value.
    Indicator(NewIndicator)
);

impl Body for NewIndicator {
    const KIND: ResourceKind = ResourceKind::Indicator;

    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let subjects = [
            self.city_id.is_some(),
            self.organization_id.is_some(),
            self.country.is_some(),
            self.partnership_id.is_some(),
        ]
        .into_iter()
        .filter(|given| *given)
        .count();
        if subjects > 1 || (subjects == 0 && self.project_id.is_none()) {
            errors.push(FieldError::new(
                "/city_id",
                "name exactly one subject: city_id, organization_id, country or partnership_id, \
                 or project_id alone",
            ));
        }
        let range = (&self.value_low, &self.value_high);
        match (&self.value, range) {
            (Some(_), (None, None)) => {}
            (None, (Some(low), Some(high))) => {
                let (low, high) = (low.number(), high.number());
                if high < low {
                    errors.push(FieldError::new(
                        "/value_high",
                        format!("{high} is below value_low, {low}"),
                    ));
                }
            }
            (Some(_), _) => errors.push(FieldError::new(
                "/value",
                "give a value or a range (value_low and value_high), not both",
            )),
            (None, (None, None)) => errors.push(FieldError::new(
                "/value",
                "is required unless value_low and value_high give a range",
            )),
            (None, (Some(_), None)) => {
                errors.push(FieldError::new("/value_high", "is required with value_low"))
            }
            (None, (None, Some(_))) => {
                errors.push(FieldError::new("/value_low", "is required with value_high"))
            }
        }
        if self.qualifier.is_some() && self.value.is_none() {
            errors.push(FieldError::new(
                "/qualifier",
                "qualifies a value; give the value too, or leave this out",
            ));
        }
        errors
    }

    fn search_texts(&self) -> Vec<&str> {
        vec![self.metric.as_str()]
    }

    fn references(&self) -> Vec<Reference> {
        [
            Reference::one("city_id", ResourceKind::City, self.city_id),
            Reference::one(
                "organization_id",
                ResourceKind::Organization,
                self.organization_id,
            ),
            Reference::one(
                "partnership_id",
                ResourceKind::Partnership,
                self.partnership_id,
            ),
            Reference::one("project_id", ResourceKind::Project, self.project_id),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
