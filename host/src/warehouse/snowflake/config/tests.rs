//! connections.toml and `SNOWFLAKE_*` resolution.
use super::*;
use std::collections::HashMap;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key| map.get(key).cloned()
}

fn write(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

const FILE: &str = r#"
default_connection_name = "prod"

[prod]
account = "xy12345.eu-west-1"
user = "loader"
password = "from-file"
warehouse = "wh"
database = "analytics"
schema = "derived"
client_session_keep_alive = true

[local]
account = "test"
user = "u"
password = "p"
host = "127.0.0.1"
port = "8085"
protocol = "http"
"#;

#[test]
fn default_connection_with_env_overrides() {
    let file = write(FILE);
    let env = env_of(&[("SNOWFLAKE_PASSWORD", "from-env"), ("SNOWFLAKE_ROLE", "r")]);
    let s = resolve(None, Some(file.path()), &env).unwrap();
    assert_eq!(s.name.as_deref(), Some("prod"));
    assert!(matches!(&s.auth, Auth::Password(p) if p == "from-env"));
    assert_eq!(s.role.as_deref(), Some("r"));
    assert_eq!(s.account_name(), "xy12345");
    assert_eq!(
        s.endpoint.base_url(),
        "https://xy12345.eu-west-1.snowflakecomputing.com:443"
    );
}

#[test]
fn named_connection_with_host_port_protocol() {
    let file = write(FILE);
    let s = resolve(Some("local"), Some(file.path()), &env_of(&[])).unwrap();
    assert_eq!(s.endpoint.base_url(), "http://127.0.0.1:8085");
    let env = env_of(&[("SNOWFLAKE_DEFAULT_CONNECTION_NAME", "local")]);
    assert_eq!(
        resolve(None, Some(file.path()), &env).unwrap().account,
        "test"
    );
}

#[test]
fn clear_errors() {
    let file = write(FILE);
    let e = resolve(Some("nope"), Some(file.path()), &env_of(&[])).unwrap_err();
    assert!(e.to_string().contains("`nope`") && e.to_string().contains("local, prod"));
    let e = resolve(None, None, &env_of(&[("SNOWFLAKE_ACCOUNT", "a")])).unwrap_err();
    assert!(e.to_string().contains("SNOWFLAKE_USER"), "{e}");
    let env = env_of(&[
        ("SNOWFLAKE_ACCOUNT", "a"),
        ("SNOWFLAKE_USER", "u"),
        ("SNOWFLAKE_PASSWORD", "p"),
        ("SNOWFLAKE_PORT", "99999"),
    ]);
    assert!(
        resolve(None, None, &env)
            .unwrap_err()
            .to_string()
            .contains("port")
    );
    let env = env_of(&[
        ("SNOWFLAKE_ACCOUNT", "a/../evil"),
        ("SNOWFLAKE_USER", "u"),
        ("SNOWFLAKE_PASSWORD", "p"),
    ]);
    assert!(
        resolve(None, None, &env)
            .unwrap_err()
            .to_string()
            .contains("account")
    );
    let env = env_of(&[
        ("SNOWFLAKE_ACCOUNT", "a"),
        ("SNOWFLAKE_USER", "u"),
        ("SNOWFLAKE_AUTHENTICATOR", "externalbrowser"),
    ]);
    assert!(matches!(
        resolve(None, None, &env),
        Err(ConfigError::UnsupportedAuthenticator(_))
    ));
}

#[test]
fn key_pair_from_file() {
    let key = write("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n");
    let env = env_of(&[
        ("SNOWFLAKE_ACCOUNT", "a"),
        ("SNOWFLAKE_USER", "u"),
        ("SNOWFLAKE_AUTHENTICATOR", "SNOWFLAKE_JWT"),
        ("SNOWFLAKE_PRIVATE_KEY_FILE", key.path().to_str().unwrap()),
    ]);
    let s = resolve(None, None, &env).unwrap();
    assert!(matches!(s.auth, Auth::KeyPair { .. }));
    assert_eq!(format!("{:?}", s.auth), "KeyPair(..)");
}
