//! The episode loop: ids, clock, timings and recovery of interrupted episodes.
