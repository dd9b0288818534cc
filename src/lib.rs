//! Intercity: a REST/JSON service recording city-to-city cooperation.

pub mod api;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod generate;
mod registry;
pub mod seed;
pub mod startup;
pub mod store;
pub mod tabular;
pub mod telemetry;
