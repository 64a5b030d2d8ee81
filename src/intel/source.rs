//! Where the scheduler gets fresh rows: the [`RefreshSource`] trait, its Dune
//! implementation ([`DuneSource`]: execute with the instance's parameters, wait, page
//! the results) and a deterministic synthetic one for mock mode and CI
//! ([`MockSource`]: rows are a function of the seed and the cache key only).

use std::future::Future;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::dune::{DuneClient, DuneError};
use super::registry::QueryInstance;
use super::store::ExecutionMeta;

/// Errors a source reports for one query.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The Dune client failed.
    #[error(transparent)]
    Dune(#[from] DuneError),
    /// Any other source failure (e.g. a test source).
    #[error("source failed for {key}: {message}")]
    Failed { key: String, message: String },
}

/// Rows and how they were obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub rows: Vec<serde_json::Value>,
    pub execution: ExecutionMeta,
}

/// A provider of query results for the scheduler.
pub trait RefreshSource: Send + Sync + 'static {
    /// Short name recorded in each cache entry (`dune`, `mock`, …).
    fn name(&self) -> &'static str;
    /// Fetches the rows for one query instance.
    fn fetch(
        &self,
        query: &QueryInstance,
    ) -> impl Future<Output = Result<Fetched, SourceError>> + Send;
}

/// The Dune API as a source.
#[derive(Debug, Clone)]
pub struct DuneSource {
    client: DuneClient,
}

impl DuneSource {
    pub fn new(client: DuneClient) -> Self {
        Self { client }
    }
}

impl RefreshSource for DuneSource {
    fn name(&self) -> &'static str {
        "dune"
    }

    async fn fetch(&self, query: &QueryInstance) -> Result<Fetched, SourceError> {
        let set = self
            .client
            .run_query(query.spec.query_id, &query.params)
            .await?;
        let total = set.metadata.as_ref().and_then(|m| m.total_row_count);
        Ok(Fetched {
            execution: ExecutionMeta {
                execution_id: Some(set.execution_id),
                state: set.state.as_str().to_string(),
                query_id: set.query_id.unwrap_or(query.spec.query_id),
                submitted_at: set.submitted_at,
                execution_ended_at: set.execution_ended_at,
                row_count: set.rows.len() as u64,
                total_row_count: total,
                pages: set.pages,
            },
            rows: set.rows,
        })
    }
}

/// Deterministic synthetic rows: the registry's columns filled from a ChaCha stream
/// seeded by (seed, cache key, "intel.mock"). No network, no clock.
#[derive(Debug, Clone)]
pub struct MockSource {
    seed: u64,
}

impl MockSource {
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// The rows for `query` (also used by tests to predict the cache).
    pub fn rows_for(&self, query: &QueryInstance) -> Vec<serde_json::Value> {
        let mut h = blake3::Hasher::new();
        h.update(b"tracka.intel.mock.v1\0");
        h.update(&self.seed.to_le_bytes());
        h.update(query.key.as_bytes());
        let mut rng = ChaCha8Rng::from_seed(*h.finalize().as_bytes());
        let n = rng.gen_range(1..=6usize);
        let columns: Vec<String> = if query.spec.columns.is_empty() {
            vec!["value".to_string()]
        } else {
            query.spec.columns.clone()
        };
        (0..n)
            .map(|_| {
                let mut row = serde_json::Map::new();
                for c in &columns {
                    // 4 decimal places: stable JSON text
                    let v = (rng.gen_range(0.0..1000.0f64) * 1e4).round() / 1e4;
                    row.insert(c.clone(), serde_json::json!(v));
                }
                serde_json::Value::Object(row)
            })
            .collect()
    }
}

impl RefreshSource for MockSource {
    fn name(&self) -> &'static str {
        "mock"
    }

    async fn fetch(&self, query: &QueryInstance) -> Result<Fetched, SourceError> {
        let rows = self.rows_for(query);
        let id = blake3::hash(format!("{}:{}", self.seed, query.key).as_bytes()).to_hex();
        Ok(Fetched {
            execution: ExecutionMeta {
                execution_id: Some(format!("mock-{}", id.get(..24).unwrap_or_default())),
                state: "QUERY_STATE_COMPLETED".to_string(),
                query_id: query.spec.query_id,
                submitted_at: None,
                execution_ended_at: None,
                row_count: rows.len() as u64,
                total_row_count: Some(rows.len() as u64),
                pages: 1,
            },
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::{PoolAddress, Registry};

    #[test]
    fn mock_rows_are_deterministic_per_seed_and_key() {
        let r = Registry::builtin().unwrap();
        let pool = PoolAddress::parse("0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640").unwrap();
        let inst = r.instances_for(&pool);
        let (a, b) = (MockSource::new(12345), MockSource::new(12345));
        for i in &inst {
            assert_eq!(a.rows_for(i), b.rows_for(i));
            let row = a.rows_for(i)[0].clone();
            for c in &i.spec.columns {
                assert!(row.get(c).is_some(), "{} lacks {c}", i.key);
            }
        }
        assert_ne!(a.rows_for(&inst[0]), MockSource::new(1).rows_for(&inst[0]));
        assert_ne!(a.rows_for(&inst[0]), a.rows_for(&inst[1]));
    }
}
