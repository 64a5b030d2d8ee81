//! The learning agent: context features, policies, reward, gates, and learning state
//! as a pure fold over ledger events.
