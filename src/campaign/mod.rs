//! The episode loop: ids, clock, timings and recovery of interrupted episodes.

pub mod clock;
pub mod config;
pub mod ids;
pub mod records;
