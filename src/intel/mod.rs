//! Cache-first market intelligence: query registry, quality and hygiene, the cache
//! store, snapshots, the Dune client and the refresh scheduler.
