//! The data model as clients see it: checked values, the eight resources' bodies, their filters.
//! Nothing here knows HTTP or SQL.

mod common;
mod filters;
mod keys;
mod resources;
mod sectors;
mod values;

pub use common::*;
pub use filters::*;
pub use keys::*;
pub use resources::*;
pub use sectors::*;
pub use values::*;
