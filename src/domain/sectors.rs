//! The fixed sector vocabulary, each code mapped to an OECD DAC CRS purpose code where one fits.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! sectors {
    ($($variant:ident = $code:literal, $label:literal, $dac:expr;)*) => {
        /// A sector code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Sector {
            $($variant,)*
        }

        impl Sector {
            pub const ALL: &'static [Sector] = &[$(Sector::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $(Sector::$variant => $code,)* }
            }
            pub fn label(self) -> &'static str {
                match self { $(Sector::$variant => $label,)* }
            }
            /// The OECD DAC CRS purpose code closest to this sector, if one fits.
            pub fn dac_code(self) -> Option<u32> {
                match self { $(Sector::$variant => $dac,)* }
            }
            pub fn from_code(code: &str) -> Option<Sector> {
                Self::ALL.iter().copied().find(|sector| sector.code() == code)
            }
        }
    };
}

sectors! {
    WaterSupply = "water_supply", "Water supply", Some(14021);
    Sewerage = "sewerage", "Sewerage and wastewater treatment", Some(14022);
    Sanitation = "sanitation", "Basic sanitation", Some(14032);
    SolidWaste = "solid_waste", "Solid waste management", Some(14050);
    Recycling = "recycling", "Recycling and circular economy", Some(14050);
    AirQuality = "air_quality", "Air quality", Some(41010);
    WaterQuality = "water_quality", "Water quality and water resources", Some(14010);
    Energy = "energy", "Energy", Some(23110);
    ClimateChange = "climate_change", "Climate change and low carbon", Some(41010);
    CleanerProduction = "cleaner_production", "Cleaner production", Some(25010);
    EnvironmentalManagement = "environmental_management", "Environmental policy and management", Some(41010);
    CapacityBuilding = "capacity_building", "Capacity building and training", Some(43081);
    IndustrialDevelopment = "industrial_development", "Industrial development", Some(32110);
    UrbanDevelopment = "urban_development", "Urban development and management", Some(43030);
    Transport = "transport", "Transport", Some(21010);
    Education = "education", "Education and environmental education", Some(41081);
    Health = "health", "Health", Some(12110);
    DisasterRiskReduction = "disaster_risk_reduction", "Disaster risk reduction", Some(43060);
    TradeInvestment = "trade_investment", "Trade, investment and business", Some(33110);
    Other = "other", "Other", None;
}

/// A sector as `/v1/sectors` lists it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SectorInfo {
    #[schema(example = "water_supply")]
    pub code: &'static str,
    #[schema(example = "Water supply")]
    pub label: &'static str,
    /// OECD DAC CRS purpose code.
    #[schema(example = 14021)]
    pub dac_code: Option<u32>,
}

impl From<Sector> for SectorInfo {
    fn from(sector: Sector) -> Self {
        Self {
            code: sector.code(),
            label: sector.label(),
            dac_code: sector.dac_code(),
        }
    }
}
