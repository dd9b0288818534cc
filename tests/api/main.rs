//! Integration tests: each spawns the real application over HTTP on its own database, on SQLite and on
//! PostgreSQL (`TEST_DATABASE_URL`).

mod helpers;

mod auth;
mod conditional;
mod crud;
mod errors;
mod faults;
mod hostile;
mod instances;
mod integration;
mod integrity;
mod lists;
mod openapi;
mod operations;
mod places;
mod relations;
mod results;
mod round_trips;
mod seeds;
mod stats;
