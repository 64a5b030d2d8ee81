//! The intel query registry: which Dune queries exist, how their cache keys are built,
//! how urgent they are (P0–P3) and how long their results stay fresh (`ttl_s`) or
//! usable (`max_age_s`). Loaded from `data/intel_queries.json` and validated at start;
//! a bad entry is reported with its index, name and field.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::pool::PoolAddress;

/// The registry shipped with the crate (a copy of `data/intel_queries.json`).
pub const BUILTIN_REGISTRY_JSON: &str = include_str!("../../data/intel_queries.json");

/// Errors from loading or validating a registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry file could not be read.
    #[error("cannot read intel registry {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON of the expected outer shape.
    #[error("intel registry {origin}: {message}")]
    Syntax { origin: String, message: String },
    /// One entry is wrong; names the entry (index and name) and the field.
    #[error("intel registry {origin}: entry #{index} ({name}): field `{field}`: {problem}")]
    Entry {
        origin: String,
        index: usize,
        name: String,
        field: String,
        problem: String,
    },
}

/// How urgent a query is; P0 is refreshed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    P0,
    P1,
    P2,
    P3,
}

impl Priority {
    /// P0 and P1: refreshed at once when a trigger names their pool.
    pub fn is_urgent(self) -> bool {
        matches!(self, Priority::P0 | Priority::P1)
    }
}

/// Whether a query has one instance overall or one per pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Global,
    Pool,
}

/// One registry entry as written in the JSON file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    /// Unique name (`[a-z0-9_]+`).
    pub name: String,
    /// Cache-key template; placeholders `{pool}` and `{window}`.
    pub key: String,
    /// The Dune query id.
    pub query_id: u64,
    /// `global` or `pool`.
    pub scope: Scope,
    /// P0 (most urgent) … P3.
    pub priority: Priority,
    /// Fresh while age < ttl_s.
    pub ttl_s: u64,
    /// Stale while ttl_s ≤ age < max_age_s, too old after.
    pub max_age_s: u64,
    /// Time window (e.g. `1h`, `24h`, `7d`) substituted for `{window}`.
    #[serde(default)]
    pub window: Option<String>,
    /// Dune query parameters; values may use `{pool}` and `{window}`.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Columns the query returns (documentation and the mock source's shape).
    #[serde(default)]
    pub columns: Vec<String>,
    /// What the query answers for an LP decision.
    #[serde(default)]
    pub description: String,
}

/// A query bound to a pool (or to nothing, for global queries): a concrete cache key
/// and concrete Dune parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryInstance {
    pub spec: Arc<QuerySpec>,
    pub key: String,
    pub pool: Option<PoolAddress>,
    pub params: BTreeMap<String, String>,
}

/// The validated registry.
#[derive(Debug, Clone)]
pub struct Registry {
    specs: Vec<Arc<QuerySpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    version: u32,
    queries: Vec<serde_json::Value>,
}

const PLACEHOLDERS: &[&str] = &["pool", "window"];

impl Registry {
    /// The registry compiled into the crate.
    pub fn builtin() -> Result<Self, RegistryError> {
        Self::from_json_str(BUILTIN_REGISTRY_JSON, "builtin data/intel_queries.json")
    }

    /// Loads and validates a registry file.
    pub fn load(path: &Path) -> Result<Self, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_str(&text, &path.display().to_string())
    }

    /// Parses and validates registry JSON; `origin` names the source in errors.
    pub fn from_json_str(text: &str, origin: &str) -> Result<Self, RegistryError> {
        let file: RegistryFile = serde_json::from_str(text).map_err(|e| RegistryError::Syntax {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        if file.version != 1 {
            return Err(RegistryError::Syntax {
                origin: origin.to_string(),
                message: format!("unsupported version {} (expected 1)", file.version),
            });
        }
        let mut specs = Vec::with_capacity(file.queries.len());
        let mut names = BTreeSet::new();
        let mut keys = BTreeSet::new();
        let probe_pool =
            PoolAddress::parse("0x0000000000000000000000000000000000000001").map_err(|e| {
                RegistryError::Syntax {
                    origin: origin.to_string(),
                    message: e.to_string(),
                }
            })?;
        for (index, raw) in file.queries.into_iter().enumerate() {
            let name = raw
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or("<unnamed>")
                .to_string();
            let err = |field: &str, problem: String| RegistryError::Entry {
                origin: origin.to_string(),
                index,
                name: name.clone(),
                field: field.to_string(),
                problem,
            };
            let spec: QuerySpec = serde_json::from_value(raw.clone()).map_err(|e| {
                let msg = e.to_string();
                err(&locate_bad_field(&raw, &msg), msg)
            })?;
            validate_spec(&spec).map_err(|(field, problem)| err(field, problem))?;
            if !names.insert(spec.name.clone()) {
                return Err(err("name", format!("duplicate name {:?}", spec.name)));
            }
            let spec = Arc::new(spec);
            let probe = instantiate(&spec, Some(&probe_pool));
            if !keys.insert(probe.key.clone()) {
                return Err(err("key", format!("duplicate key {:?}", probe.key)));
            }
            specs.push(spec);
        }
        if specs.is_empty() {
            return Err(RegistryError::Syntax {
                origin: origin.to_string(),
                message: "no queries".to_string(),
            });
        }
        Ok(Self { specs })
    }

    /// All entries in file order.
    pub fn specs(&self) -> &[Arc<QuerySpec>] {
        &self.specs
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// True when there are no entries (never, for a validated registry).
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The global instances.
    pub fn global_instances(&self) -> Vec<QueryInstance> {
        self.specs
            .iter()
            .filter(|s| s.scope == Scope::Global)
            .map(|s| instantiate(s, None))
            .collect()
    }

    /// The per-pool instances for `pool`.
    pub fn pool_instances(&self, pool: &PoolAddress) -> Vec<QueryInstance> {
        self.specs
            .iter()
            .filter(|s| s.scope == Scope::Pool)
            .map(|s| instantiate(s, Some(pool)))
            .collect()
    }

    /// Everything an episode on `pool` looks at: the global instances and the pool's.
    pub fn instances_for(&self, pool: &PoolAddress) -> Vec<QueryInstance> {
        let mut v = self.global_instances();
        v.extend(self.pool_instances(pool));
        v
    }

    /// Finds the instance with cache key `key` among the globals and `pool`'s.
    pub fn find_instance(&self, key: &str, pool: Option<&PoolAddress>) -> Option<QueryInstance> {
        let mut all = self.global_instances();
        if let Some(p) = pool {
            all.extend(self.pool_instances(p));
        }
        all.into_iter().find(|i| i.key == key)
    }
}

fn instantiate(spec: &Arc<QuerySpec>, pool: Option<&PoolAddress>) -> QueryInstance {
    let fill = |template: &str| {
        let mut s = template.replace("{pool}", pool.map(|p| p.as_str()).unwrap_or(""));
        s = s.replace("{window}", spec.window.as_deref().unwrap_or(""));
        s
    };
    QueryInstance {
        spec: Arc::clone(spec),
        key: fill(&spec.key),
        pool: pool.cloned(),
        params: spec
            .params
            .iter()
            .map(|(k, v)| (k.clone(), fill(v)))
            .collect(),
    }
}

/// Names the field a serde error is about: the first field whose value does not have
/// its type, an unknown field, or the field named in "missing field `x`".
fn locate_bad_field(raw: &serde_json::Value, msg: &str) -> String {
    use serde_json::from_value as fv;
    if let Some(obj) = raw.as_object() {
        for (field, v) in obj {
            let v = v.clone();
            let ok = match field.as_str() {
                "name" | "key" | "description" => fv::<String>(v).is_ok(),
                "query_id" | "ttl_s" | "max_age_s" => fv::<u64>(v).is_ok(),
                "scope" => fv::<Scope>(v).is_ok(),
                "priority" => fv::<Priority>(v).is_ok(),
                "window" => fv::<Option<String>>(v).is_ok(),
                "params" => fv::<BTreeMap<String, String>>(v).is_ok(),
                "columns" => fv::<Vec<String>>(v).is_ok(),
                _ => false,
            };
            if !ok {
                return field.clone();
            }
        }
    } else {
        return "<entry>".to_string();
    }
    msg.strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
        .unwrap_or("?")
        .to_string()
}

/// The `{…}` placeholders used in a template, or the offending text.
fn placeholders(template: &str) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or("");
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed '{{' in {template:?}"))?;
        let name = after.get(..close).unwrap_or("");
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}} in {template:?} (allowed: {{pool}}, {{window}})"
            ));
        }
        out.insert(name.to_string());
        rest = after.get(close + 1..).unwrap_or("");
    }
    if rest.contains('}') {
        return Err(format!("stray '}}' in {template:?}"));
    }
    Ok(out)
}

fn validate_spec(s: &QuerySpec) -> Result<(), (&'static str, String)> {
    let ident = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    if !ident(&s.name) {
        return Err(("name", format!("{:?} must match [a-z0-9_]+", s.name)));
    }
    if s.key.is_empty() {
        return Err(("key", "empty key template".to_string()));
    }
    if !s
        .key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_:.-{}".contains(&b))
    {
        return Err((
            "key",
            format!("{:?} may only use [A-Za-z0-9_:.-] and placeholders", s.key),
        ));
    }
    let used = placeholders(&s.key).map_err(|e| ("key", e))?;
    match s.scope {
        Scope::Pool if !used.contains("pool") => {
            return Err((
                "key",
                format!("{:?}: a pool-scoped key needs {{pool}}", s.key),
            ))
        }
        Scope::Global if used.contains("pool") => {
            return Err((
                "key",
                format!("{:?}: a global key cannot use {{pool}}", s.key),
            ))
        }
        _ => {}
    }
    if s.query_id == 0 {
        return Err(("query_id", "must be a positive Dune query id".to_string()));
    }
    if s.ttl_s == 0 {
        return Err(("ttl_s", "must be > 0".to_string()));
    }
    if s.max_age_s <= s.ttl_s {
        return Err((
            "max_age_s",
            format!("{} must be greater than ttl_s {}", s.max_age_s, s.ttl_s),
        ));
    }
    match &s.window {
        Some(w) if !valid_window(w) => {
            return Err(("window", format!("{w:?} is not <N>m, <N>h or <N>d")))
        }
        None if used.contains("window") => {
            return Err((
                "window",
                "the key uses {window} but no window is set".to_string(),
            ))
        }
        _ => {}
    }
    for (k, v) in &s.params {
        if k.is_empty() {
            return Err(("params", "empty parameter name".to_string()));
        }
        let used = placeholders(v).map_err(|e| ("params", format!("{k}: {e}")))?;
        if s.scope == Scope::Global && used.contains("pool") {
            return Err(("params", format!("{k}: a global query cannot use {{pool}}")));
        }
        if s.window.is_none() && used.contains("window") {
            return Err((
                "params",
                format!("{k}: uses {{window}} but no window is set"),
            ));
        }
    }
    Ok(())
}

fn valid_window(w: &str) -> bool {
    let Some(unit) = w.chars().last() else {
        return false;
    };
    let digits = &w[..w.len() - unit.len_utf8()];
    matches!(unit, 'm' | 'h' | 'd')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(extra: &str) -> String {
        format!(
            r#"{{"version":1,"queries":[{{"name":"gas_regime","key":"gas_regime","query_id":1,
            "scope":"global","priority":"P0","ttl_s":10,"max_age_s":20{extra}}}]}}"#
        )
    }

    fn entry_error(text: &str) -> (String, String) {
        match Registry::from_json_str(text, "t") {
            Err(RegistryError::Entry { name, field, .. }) => (name, field),
            other => panic!("expected an entry error, got {other:?}"),
        }
    }

    #[test]
    fn builtin_registry_has_25_valid_queries() {
        let r = Registry::builtin().unwrap();
        assert_eq!(r.len(), 25);
        let pool = PoolAddress::parse("0x88e6A0c2dDD26FEEb64F039a2c41296FcB3f5640").unwrap();
        let inst = r.instances_for(&pool);
        assert_eq!(inst.len(), 25);
        let keys: BTreeSet<_> = inst.iter().map(|i| i.key.clone()).collect();
        assert_eq!(keys.len(), 25, "instantiated keys are unique");
        assert!(keys.contains("gas_regime"));
        assert!(keys.contains("pool_metrics:0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640:1h"));
        assert!(keys.contains("pool_metrics:0x88e6a0c2ddd26feeb64f039a2c41296fcb3f5640:24h"));
        for i in &inst {
            assert!(!i.key.contains('{'), "{}", i.key);
            for v in i.params.values() {
                assert!(!v.contains('{'), "{} {v}", i.key);
            }
        }
    }

    #[test]
    fn bad_entries_name_entry_and_field() {
        assert_eq!(
            entry_error(&entry("").replace(r#","max_age_s":20"#, "")),
            ("gas_regime".into(), "max_age_s".into())
        );
        let e = entry("").replace(r#""max_age_s":20"#, r#""max_age_s":10"#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "max_age_s".into()));
        let e = entry("").replace(r#""query_id":1"#, r#""query_id":0"#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "query_id".into()));
        let e = entry("").replace(r#""P0""#, r#""P7""#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "priority".into()));
        let e = entry("").replace(r#""ttl_s":10"#, r#""ttl_s":"ten""#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "ttl_s".into()));
        let e = entry("").replace(r#""global""#, r#""galaxy""#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "scope".into()));
        let e = entry(r#","bogus":1"#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "bogus".into()));
        let e = entry("").replace(r#""priority":"P0","#, "");
        assert_eq!(entry_error(&e), ("gas_regime".into(), "priority".into()));
        let e = entry("").replace(r#""key":"gas_regime""#, r#""key":"gas:{pool}""#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "key".into()));
        let e = entry("").replace(r#""key":"gas_regime""#, r#""key":"gas:{window}""#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "window".into()));
        let e = entry(r#","window":"1x""#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "window".into()));
        let e = entry(r#","params":{"p":"{nope}"}"#);
        assert_eq!(entry_error(&e), ("gas_regime".into(), "params".into()));
    }

    #[test]
    fn duplicates_are_rejected() {
        let one = r#"{"name":"a","key":"a","query_id":1,"scope":"global","priority":"P0","ttl_s":1,"max_age_s":2}"#;
        let two = one.replace(r#""key":"a""#, r#""key":"b""#);
        let text = format!(r#"{{"version":1,"queries":[{one},{two}]}}"#);
        let err = Registry::from_json_str(&text, "t").unwrap_err();
        assert!(
            err.to_string().contains("entry #1 (a): field `name`"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_name_origin() {
        let err = Registry::from_json_str("{", "file.json").unwrap_err();
        assert!(err.to_string().contains("file.json"), "{err}");
        let err = Registry::from_json_str(r#"{"version":1,"queries":[]}"#, "f").unwrap_err();
        assert!(err.to_string().contains("no queries"), "{err}");
    }
}
