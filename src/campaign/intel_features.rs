//! The agent's intel features, read from the cache entries an episode's snapshot saw:
//! the gas regime (median base fee plus priority fee, gwei) and the pool's 24h realized
//! volatility (annualized, turned into daily). A value is used only if the entry's rows
//! are the ones the snapshot hashed; otherwise (refreshed in between, unreadable, no such
//! column) it is masked as missing.

use crate::agent::context::{IntelFeatures, IntelValue, Quality as AgentQuality};
use crate::intel::quality::Quality;
use crate::intel::snapshot::IntelSnapshot;
use crate::intel::store::CacheStore;

fn agent_quality(q: Quality) -> AgentQuality {
    match q {
        Quality::Fresh => AgentQuality::Fresh,
        Quality::Stale => AgentQuality::Stale,
        Quality::TooOld => AgentQuality::TooOld,
        Quality::Missing => AgentQuality::Missing,
    }
}

/// The value of `columns` summed from the first row of the cache entry `key`, as the
/// snapshot saw it.
fn read_value(
    store: &CacheStore,
    snapshot: &IntelSnapshot,
    key: &str,
    columns: &[&str],
) -> IntelValue {
    let Some(entry) = snapshot.intel_snapshot.get(key) else {
        return IntelValue::MISSING;
    };
    let quality = agent_quality(entry.quality);
    let value = store.read(key).and_then(|cached| {
        if Some(&cached.rows_hash) != entry.content_hash.as_ref() {
            return None;
        }
        let row = cached.rows.first()?;
        columns
            .iter()
            .map(|c| row.get(*c).and_then(|v| v.as_f64()))
            .sum::<Option<f64>>()
    });
    IntelValue { value, quality }
}

/// The agent's intel features for a snapshot.
pub fn from_snapshot(store: &CacheStore, snapshot: &IntelSnapshot) -> IntelFeatures {
    let pool = snapshot.intel_inputs.pool_address.as_str();
    let gas = read_value(
        store,
        snapshot,
        "gas_regime",
        &["base_fee_gwei_p50", "priority_fee_gwei_p50"],
    );
    let vol_key = format!("realized_vol:{pool}:24h");
    let mut vol = read_value(store, snapshot, &vol_key, &["realized_vol_annualized"]);
    vol.value = vol.value.map(|annual| annual / 365f64.sqrt());
    IntelFeatures {
        gas_price_gwei: gas,
        realized_vol_daily: vol,
    }
}
