//! Connection settings resolved as Databricks' own tools resolve them ("unified auth", the
//! Python and Go SDKs and the CLI): explicit values first, then `DATABRICKS_*` environment
//! variables, then one profile of `~/.databrickscfg` (`DATABRICKS_CONFIG_FILE` names another
//! file) filling only what is still unset. The profile is `--profile`, else
//! `DATABRICKS_CONFIG_PROFILE`, else `[__settings__] default_profile`, else `DEFAULT`; like the
//! SDKs, the file is not read at all when no profile is named and a host or credentials were
//! already given.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path} has no {profile} profile configured (it has: {defined})")]
    UnknownProfile {
        profile: String,
        path: PathBuf,
        defined: String,
    },
    #[error("Databricks connection: no {setting} (set {hint})")]
    Missing {
        setting: &'static str,
        hint: &'static str,
    },
    #[error(
        "Databricks connection: more than one authentication method configured ({methods}); set auth_type or DATABRICKS_AUTH_TYPE to pat or oauth-m2m"
    )]
    AmbiguousAuth { methods: String },
    #[error("Databricks connection: {key} {value:?} is not valid: {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        reason: &'static str,
    },
}

/// How requests are authenticated.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// A personal access token, sent as `Authorization: Bearer`.
    Token(String),
    /// OAuth machine-to-machine: a service principal's client id and secret, exchanged at
    /// `{host}/oidc/v1/token` for short-lived tokens.
    OAuthM2M {
        client_id: String,
        client_secret: String,
    },
}

impl std::fmt::Debug for Auth {
    /// Never prints a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Token(_) => f.write_str("Token(***)"),
            Auth::OAuthM2M { client_id, .. } => f
                .debug_struct("OAuthM2M")
                .field("client_id", client_id)
                .field("client_secret", &"***")
                .finish(),
        }
    }
}

/// A resolved connection (its `Debug` prints no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The profile read, if any.
    pub profile: Option<String>,
    /// `scheme://host[:port]`, without a trailing slash.
    pub host: String,
    pub auth: Auth,
    pub warehouse_id: String,
    pub catalog: Option<String>,
    pub schema: Option<String>,
}

/// Values given explicitly (command-line flags); each wins over the environment and the file.
#[derive(Debug, Default, Clone)]
pub struct Explicit {
    pub profile: Option<String>,
    pub host: Option<String>,
    pub warehouse_id: Option<String>,
    pub catalog: Option<String>,
    pub schema: Option<String>,
}

/// The attributes rechost reads and the environment variable of each (the SDKs' names;
/// `DATABRICKS_HTTP_PATH`, `_CATALOG` and `_SCHEMA` are the SQL connectors' and dbt's).
const ATTRIBUTES: &[(&str, &str)] = &[
    ("host", "DATABRICKS_HOST"),
    ("token", "DATABRICKS_TOKEN"),
    ("client_id", "DATABRICKS_CLIENT_ID"),
    ("client_secret", "DATABRICKS_CLIENT_SECRET"),
    ("auth_type", "DATABRICKS_AUTH_TYPE"),
    ("warehouse_id", "DATABRICKS_WAREHOUSE_ID"),
    ("http_path", "DATABRICKS_HTTP_PATH"),
    ("catalog", "DATABRICKS_CATALOG"),
    ("schema", "DATABRICKS_SCHEMA"),
];

/// Resolves the connection. `env` is `std::env::var` in the binary, a map in tests; `home`
/// is the user's home folder (where `.databrickscfg` lives by default).
pub fn resolve(
    explicit: &Explicit,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<Settings, ConfigError> {
    let env = |key: &str| env(key).filter(|v| !v.trim().is_empty());
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    for (key, value) in [
        ("host", &explicit.host),
        ("warehouse_id", &explicit.warehouse_id),
        ("catalog", &explicit.catalog),
        ("schema", &explicit.schema),
    ] {
        if let Some(value) = value.clone().filter(|v| !v.is_empty()) {
            values.insert(key, value);
        }
    }
    for &(key, variable) in ATTRIBUTES {
        if let (false, Some(value)) = (values.contains_key(key), env(variable)) {
            values.insert(key, value);
        }
    }
    let profile = explicit
        .profile
        .clone()
        .or_else(|| env("DATABRICKS_CONFIG_PROFILE"));
    let configured = ["host", "token", "client_id", "client_secret"]
        .iter()
        .any(|k| values.contains_key(k));
    let mut used_profile = None;
    if profile.is_some() || !configured {
        let path = match env("DATABRICKS_CONFIG_FILE") {
            Some(file) => expand_home(&file, home),
            None => home.map_or_else(
                || PathBuf::from(".databrickscfg"),
                |h| h.join(".databrickscfg"),
            ),
        };
        if let Some((name, section)) = read_profile(&path, profile.as_deref())? {
            for (key, value) in section {
                if let Some(&(attribute, _)) = ATTRIBUTES.iter().find(|(a, _)| *a == key) {
                    values.entry(attribute).or_insert(value);
                }
            }
            used_profile = Some(name);
        }
    }
    settings(values, used_profile)
}

fn settings(
    mut values: BTreeMap<&str, String>,
    profile: Option<String>,
) -> Result<Settings, ConfigError> {
    let host = values.remove("host").ok_or(ConfigError::Missing {
        setting: "workspace host",
        hint: "--host, DATABRICKS_HOST or `host` in a ~/.databrickscfg profile",
    })?;
    let host = normalize_host(&host)?;
    let token = values.remove("token");
    let oauth = match (values.remove("client_id"), values.remove("client_secret")) {
        (Some(client_id), Some(client_secret)) => Some(Auth::OAuthM2M {
            client_id,
            client_secret,
        }),
        _ => None,
    };
    let auth = match (values.remove("auth_type").as_deref(), token, oauth) {
        (Some("pat"), Some(token), _) => Auth::Token(token),
        (Some("oauth-m2m"), _, Some(oauth)) => oauth,
        (Some(other), _, _) if other != "pat" && other != "oauth-m2m" => {
            return Err(ConfigError::Invalid {
                key: "auth_type",
                value: other.into(),
                reason: "rechost supports pat and oauth-m2m",
            });
        }
        (None, Some(_), Some(_)) => {
            return Err(ConfigError::AmbiguousAuth {
                methods: "oauth and pat".into(),
            });
        }
        (None, Some(token), None) => Auth::Token(token),
        (None, None, Some(oauth)) => oauth,
        _ => {
            return Err(ConfigError::Missing {
                setting: "credentials",
                hint: "DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, or `token` / `client_id` and `client_secret` in the profile",
            });
        }
    };
    let warehouse_id = match (values.remove("warehouse_id"), values.remove("http_path")) {
        (Some(id), _) => id,
        (None, Some(path)) => warehouse_from_http_path(&path)?,
        (None, None) => {
            return Err(ConfigError::Missing {
                setting: "SQL warehouse",
                hint: "--warehouse-id, DATABRICKS_WAREHOUSE_ID, or `warehouse_id` or `http_path` in the profile",
            });
        }
    };
    if !warehouse_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ConfigError::Invalid {
            key: "warehouse_id",
            value: warehouse_id,
            reason: "expected letters, digits, '-' or '_'",
        });
    }
    Ok(Settings {
        profile,
        host,
        auth,
        warehouse_id,
        catalog: values.remove("catalog"),
        schema: values.remove("schema"),
    })
}

/// `/sql/1.0/warehouses/<id>` (or the older `/sql/1.0/endpoints/<id>`): the warehouse id.
fn warehouse_from_http_path(path: &str) -> Result<String, ConfigError> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["sql", _, "warehouses" | "endpoints", id] if !id.is_empty() => Ok(id.to_string()),
        _ => Err(ConfigError::Invalid {
            key: "http_path",
            value: path.into(),
            reason: "expected /sql/1.0/warehouses/<warehouse id> (a SQL warehouse, not a cluster)",
        }),
    }
}

/// As the SDKs do: `https://` when no scheme is given; only scheme, host and port are kept.
fn normalize_host(host: &str) -> Result<String, ConfigError> {
    let with_scheme = if host.contains("://") {
        host.to_string()
    } else {
        format!("https://{host}")
    };
    let invalid = |reason| ConfigError::Invalid {
        key: "host",
        value: host.into(),
        reason,
    };
    let url = reqwest::Url::parse(&with_scheme).map_err(|_| invalid("not a URL"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(invalid("expected https://<workspace host>"));
    }
    let mut base = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        base.push_str(&format!(":{port}"));
    }
    Ok(base)
}

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// One INI section's keys (lower-cased) and values.
type Section = BTreeMap<String, String>;

/// The profile to use from `path`: `(name, its keys)`, or `None` when the file is absent or,
/// with no profile named, has neither a default profile setting nor a `DEFAULT` section.
fn read_profile(
    path: &Path,
    profile: Option<&str>,
) -> Result<Option<(String, Section)>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && profile.is_none() => {
            return Ok(None);
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.into(),
                source,
            });
        }
    };
    let mut sections = parse_ini(path, &text)?;
    let settings = sections.remove("__settings__").unwrap_or_default();
    let name = match profile {
        Some(name) => name.to_string(),
        None => match settings.get("default_profile").filter(|p| !p.is_empty()) {
            Some(name) => name.clone(),
            None if sections.get("DEFAULT").is_some_and(|s| !s.is_empty()) => "DEFAULT".into(),
            None => return Ok(None),
        },
    };
    let defined = sections.keys().cloned().collect::<Vec<_>>().join(", ");
    match sections.remove(&name) {
        Some(section) => Ok(Some((name, section))),
        None => Err(ConfigError::UnknownProfile {
            profile: name,
            path: path.into(),
            defined: if defined.is_empty() {
                "none".into()
            } else {
                defined
            },
        }),
    }
}

/// The INI dialect of `.databrickscfg` as Python's configparser reads it (the SDK's reader):
/// `[section]`, `key = value` or `key: value`, keys case-insensitive, full-line `#`/`;`
/// comments, indented lines continuing a value. Written out because no INI crate in the tree
/// reads exactly this, and the whole dialect is these few rules.
fn parse_ini(path: &Path, text: &str) -> Result<BTreeMap<String, Section>, ConfigError> {
    let mut sections: BTreeMap<String, Section> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut last_key: Option<String> = None;
    for (index, line) in text.lines().enumerate() {
        let error = |message: &str| ConfigError::Parse {
            path: path.into(),
            line: index + 1,
            message: message.into(),
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with(char::is_whitespace)
            && let (Some(section), Some(key)) = (&current, &last_key)
        {
            let value = sections
                .entry(section.clone())
                .or_default()
                .entry(key.clone())
                .or_default();
            value.push('\n');
            value.push_str(trimmed);
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[') {
            let name = name
                .strip_suffix(']')
                .ok_or_else(|| error("a section header lacks its closing ]"))?;
            sections.entry(name.trim().to_string()).or_default();
            current = Some(name.trim().to_string());
            last_key = None;
            continue;
        }
        let split = trimmed
            .find(['=', ':'])
            .ok_or_else(|| error("expected `key = value`"))?;
        let section = current
            .clone()
            .ok_or_else(|| error("a key before any [section]"))?;
        let key = trimmed[..split].trim().to_ascii_lowercase();
        let value = trimmed[split + 1..].trim().to_string();
        sections
            .entry(section)
            .or_default()
            .insert(key.clone(), value);
        last_key = Some(key);
    }
    Ok(sections)
}

#[cfg(test)]
mod tests;
