//! Market tapes: a seeded synthetic market generator and loaders for recorded data.
