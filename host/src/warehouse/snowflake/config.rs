//! Connection settings as the Snowflake CLI and the official connectors take them: a named
//! connection from `connections.toml` (in `$SNOWFLAKE_HOME`, default `~/.snowflake/`), with
//! `SNOWFLAKE_*` environment variables taking precedence over the file.

use serde::Deserialize;
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
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("connection `{name}` is not defined in {path} (defined: {defined})")]
    UnknownConnection {
        name: String,
        path: PathBuf,
        defined: String,
    },
    #[error(
        "Snowflake connection: no {setting} (set `{key}` in connections.toml or {env})",
        env = env_name(key)
    )]
    Missing {
        setting: &'static str,
        key: &'static str,
    },
    #[error("Snowflake connection: {key} {value:?} is not valid: {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error(
        "Snowflake connection: authenticator {0:?} is not supported (use password authentication or SNOWFLAKE_JWT key-pair)"
    )]
    UnsupportedAuthenticator(String),
    #[error("cannot read the private key {path}")]
    PrivateKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: encrypted private keys are not supported; export it unencrypted (openssl pkcs8 -topk8 -nocrypt) and keep the file private"
    )]
    EncryptedPrivateKey { path: PathBuf },
}

fn env_name(key: &str) -> String {
    format!("SNOWFLAKE_{}", key.to_ascii_uppercase())
}

/// One connection's raw entries, as written in connections.toml. Unknown keys (the CLI has
/// many: `client_session_keep_alive`, ...) are accepted and ignored.
#[derive(Debug, Default, Deserialize)]
struct Entry {
    account: Option<String>,
    user: Option<String>,
    password: Option<String>,
    warehouse: Option<String>,
    database: Option<String>,
    schema: Option<String>,
    role: Option<String>,
    host: Option<String>,
    port: Option<PortValue>,
    protocol: Option<String>,
    authenticator: Option<String>,
    private_key_file: Option<String>,
    /// The older spelling, still accepted by the CLI.
    private_key_path: Option<String>,
}

/// `port = 443` and `port = "443"` both occur in the wild.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum PortValue {
    Number(i64),
    Text(String),
}

impl PortValue {
    fn to_text(&self) -> String {
        match self {
            PortValue::Number(n) => n.to_string(),
            PortValue::Text(t) => t.clone(),
        }
    }
}

#[derive(Clone)]
pub enum Auth {
    Password(String),
    /// Key-pair authentication: an unencrypted PKCS#8 PEM private key.
    KeyPair {
        private_key_pem: String,
    },
}

impl std::fmt::Debug for Auth {
    // Never print a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Password(_) => f.write_str("Password(..)"),
            Auth::KeyPair { .. } => f.write_str("KeyPair(..)"),
        }
    }
}

/// Where the Snowflake REST API is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https` unless the connection says otherwise (a local emulator, a proxy).
    pub protocol: String,
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    pub fn base_url(&self) -> String {
        format!("{}://{}:{}", self.protocol, self.host, self.port)
    }
}

/// A resolved, checked connection.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Which connection of connections.toml was used, if any (for messages).
    pub name: Option<String>,
    /// The account identifier as given (`myorg-myaccount`, `xy12345.us-east-1`).
    pub account: String,
    pub user: String,
    pub auth: Auth,
    pub warehouse: Option<String>,
    pub database: Option<String>,
    pub schema: Option<String>,
    pub role: Option<String>,
    pub endpoint: Endpoint,
}

impl ConnectionSettings {
    /// The account name the login and key-pair tokens use: the identifier without its
    /// region/cloud suffix (`xy12345.us-east-1` -> `xy12345`), as the official connectors do.
    pub fn account_name(&self) -> &str {
        self.account.split('.').next().unwrap_or(&self.account)
    }
}

impl ConnectionSettings {
    /// The connection `name` (or the default one) from connections.toml and `SNOWFLAKE_*`
    /// variables of this process's environment.
    pub fn from_environment(name: Option<&str>) -> Result<Self, ConfigError> {
        let env = |key: &str| std::env::var(key).ok();
        let file = default_connections_file(&env);
        resolve(name, file.as_deref(), &env)
    }
}

/// `$SNOWFLAKE_HOME/connections.toml`, default `~/.snowflake/connections.toml`.
pub fn default_connections_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let home = env("SNOWFLAKE_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".snowflake")))?;
    Some(home.join("connections.toml"))
}

/// Resolves the connection `name` (or the default one) from `file` and the environment
/// (`env` is `std::env::var` in the binary; a map in tests).
pub fn resolve(
    name: Option<&str>,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ConnectionSettings, ConfigError> {
    let env = |key: &str| env(key).filter(|v| !v.is_empty());
    let (chosen, entry) = choose_entry(name, file, &env)?;
    // Environment variables override the file, as in the Snowflake CLI.
    let pick = |key: &str, from_file: Option<String>| env(&env_name(key)).or(from_file);
    let account = pick("account", entry.account.clone()).ok_or(ConfigError::Missing {
        setting: "account",
        key: "account",
    })?;
    let user = pick("user", entry.user.clone()).ok_or(ConfigError::Missing {
        setting: "user",
        key: "user",
    })?;
    let auth = auth(&entry, &pick)?;
    check_account(&account)?;
    let endpoint = endpoint(&entry, &account, &pick)?;
    Ok(ConnectionSettings {
        name: chosen,
        account,
        user,
        auth,
        warehouse: pick("warehouse", entry.warehouse),
        database: pick("database", entry.database),
        schema: pick("schema", entry.schema),
        role: pick("role", entry.role),
        endpoint,
    })
}

/// The connection entry: `name`, else `SNOWFLAKE_DEFAULT_CONNECTION_NAME`, else the file's
/// default, else the file's only connection; none (environment only) without a file.
fn choose_entry(
    name: Option<&str>,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Option<String>, Entry), ConfigError> {
    let Some(path) = file.filter(|f| f.exists()) else {
        return match name {
            Some(name) => Err(ConfigError::UnknownConnection {
                name: name.into(),
                path: file.map_or_else(|| "connections.toml".into(), Path::to_path_buf),
                defined: "none: the file does not exist".into(),
            }),
            None => Ok((None, Entry::default())),
        };
    };
    let (default_name, mut entries) = read_file(path)?;
    let chosen = name
        .map(str::to_string)
        .or_else(|| env("SNOWFLAKE_DEFAULT_CONNECTION_NAME"))
        .or(default_name);
    match chosen {
        Some(chosen) => {
            let entry = entries
                .remove(&chosen)
                .ok_or_else(|| ConfigError::UnknownConnection {
                    name: chosen.clone(),
                    path: path.into(),
                    defined: describe_names(&entries),
                })?;
            Ok((Some(chosen), entry))
        }
        // One connection and no default: the CLI would ask; it is unambiguous.
        None if entries.len() == 1 => {
            let (only, entry) = entries.into_iter().next().expect("one entry");
            Ok((Some(only), entry))
        }
        None => Ok((None, Entry::default())),
    }
}

type Pick<'a> = dyn Fn(&str, Option<String>) -> Option<String> + 'a;

/// Password or key-pair, as the authenticator (or what is configured) says.
fn auth(entry: &Entry, pick: &Pick<'_>) -> Result<Auth, ConfigError> {
    let authenticator = pick("authenticator", entry.authenticator.clone());
    let key_file = pick("private_key_file", entry.private_key_file.clone())
        .or_else(|| pick("private_key_path", entry.private_key_path.clone()));
    let password = pick("password", entry.password.clone());
    match authenticator.as_deref().map(str::to_ascii_uppercase) {
        Some(a) if a == "SNOWFLAKE_JWT" => key_pair(key_file.ok_or(ConfigError::Missing {
            setting: "private key for SNOWFLAKE_JWT",
            key: "private_key_file",
        })?),
        Some(a) if a != "SNOWFLAKE" => Err(ConfigError::UnsupportedAuthenticator(
            authenticator.unwrap_or_default(),
        )),
        _ => match (password, key_file) {
            (Some(password), _) => Ok(Auth::Password(password)),
            (None, Some(key_file)) => key_pair(key_file),
            (None, None) => Err(ConfigError::Missing {
                setting: "password or private key",
                key: "password",
            }),
        },
    }
}

/// Protocol, host and port, as the official connectors take them.
fn endpoint(entry: &Entry, account: &str, pick: &Pick<'_>) -> Result<Endpoint, ConfigError> {
    let protocol = pick("protocol", entry.protocol.clone())
        .unwrap_or_else(|| "https".into())
        .to_ascii_lowercase();
    if protocol != "https" && protocol != "http" {
        return Err(ConfigError::Invalid {
            key: "protocol",
            value: protocol,
            reason: "expected https or http",
        });
    }
    let host = pick("host", entry.host.clone())
        .unwrap_or_else(|| format!("{}.snowflakecomputing.com", account.to_ascii_lowercase()));
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(ConfigError::Invalid {
            key: "host",
            value: host,
            reason: "expected a host name (letters, digits, '.', '-', '_')",
        });
    }
    let port = match pick("port", entry.port.as_ref().map(|p| p.to_text())) {
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|&p| p > 0)
            .ok_or(ConfigError::Invalid {
                key: "port",
                value: text,
                reason: "expected a number from 1 to 65535",
            })?,
        None if protocol == "http" => 80,
        None => 443,
    };
    Ok(Endpoint {
        protocol,
        host,
        port,
    })
}

/// The account becomes part of a host name and of every login: letters, digits, `-`, `_`, `.`.
fn check_account(account: &str) -> Result<(), ConfigError> {
    let valid = !account.is_empty()
        && account
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            key: "account",
            value: account.into(),
            reason: "expected an account identifier such as myorg-myaccount or xy12345.us-east-1",
        })
    }
}

fn key_pair(path: String) -> Result<Auth, ConfigError> {
    let path = PathBuf::from(path);
    let pem = std::fs::read_to_string(&path).map_err(|source| ConfigError::PrivateKey {
        path: path.clone(),
        source,
    })?;
    if pem.contains("ENCRYPTED PRIVATE KEY") {
        return Err(ConfigError::EncryptedPrivateKey { path });
    }
    Ok(Auth::KeyPair {
        private_key_pem: pem,
    })
}

fn describe_names(entries: &BTreeMap<String, Entry>) -> String {
    if entries.is_empty() {
        "none".into()
    } else {
        entries.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The file's `default_connection_name` and its connections (every table at the top level).
fn read_file(path: &Path) -> Result<(Option<String>, BTreeMap<String, Entry>), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.into(),
        source,
    })?;
    let parse_error = |message: String| ConfigError::Parse {
        path: path.into(),
        message,
    };
    let table: toml::Table = toml::from_str(&text).map_err(|e| parse_error(e.to_string()))?;
    let mut default_name = None;
    let mut entries = BTreeMap::new();
    for (key, value) in table {
        match value {
            toml::Value::String(name) if key == "default_connection_name" => {
                default_name = Some(name);
            }
            toml::Value::Table(entry) => {
                let entry: Entry = entry
                    .try_into()
                    .map_err(|e| parse_error(format!("connection `{key}`: {e}")))?;
                entries.insert(key, entry);
            }
            _ => {}
        }
    }
    Ok((default_name, entries))
}

#[cfg(test)]
mod tests;
