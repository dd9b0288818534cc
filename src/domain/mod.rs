//! The data model as clients see it: checked values, the resources' bodies, their filters.
//! Nothing here knows HTTP or SQL.

mod common;
mod filters;
mod integration;
mod keys;
mod resources;
mod search;
mod sectors;
mod stats;
mod values;

pub use common::*;
pub use filters::*;
pub use integration::*;
pub use keys::*;
pub use resources::*;
pub use search::fold;
pub use sectors::*;
pub use stats::*;
pub use values::*;
