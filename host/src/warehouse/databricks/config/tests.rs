use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key| map.get(key).cloned()
}

fn home_with(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".databrickscfg"), config).unwrap();
    home
}

const CONFIG: &str = "\
; a comment
[DEFAULT]
host = https://default.cloud.databricks.com/
token = dapi-default
http_path = /sql/1.0/warehouses/abc123

[prod]
HOST: prod.cloud.databricks.com
client_id = sp-id
client_secret = sp-secret
warehouse_id = prod-wh
catalog = main
schema = snowplow
";

#[test]
fn default_profile_then_named_profile() {
    let home = home_with(CONFIG);
    let settings = resolve(&Explicit::default(), &env_of(&[]), Some(home.path())).unwrap();
    assert_eq!(settings.profile.as_deref(), Some("DEFAULT"));
    assert_eq!(settings.host, "https://default.cloud.databricks.com");
    assert_eq!(settings.auth, Auth::Token("dapi-default".into()));
    assert_eq!(settings.warehouse_id, "abc123", "from http_path");

    let env = env_of(&[("DATABRICKS_CONFIG_PROFILE", "prod")]);
    let settings = resolve(&Explicit::default(), &env, Some(home.path())).unwrap();
    assert_eq!(settings.host, "https://prod.cloud.databricks.com");
    assert_eq!(
        settings.auth,
        Auth::OAuthM2M {
            client_id: "sp-id".into(),
            client_secret: "sp-secret".into()
        }
    );
    assert_eq!(
        (settings.catalog.as_deref(), settings.schema.as_deref()),
        (Some("main"), Some("snowplow"))
    );
    let debug = format!("{settings:?}");
    assert!(
        !debug.contains("sp-secret") && debug.contains("sp-id"),
        "{debug}"
    );
}

#[test]
fn explicit_over_env_over_file() {
    let home = home_with(CONFIG);
    let env = env_of(&[
        ("DATABRICKS_WAREHOUSE_ID", "env-wh"),
        ("DATABRICKS_TOKEN", "dapi-env"),
    ]);
    let explicit = Explicit {
        profile: Some("DEFAULT".into()),
        warehouse_id: Some("flag-wh".into()),
        ..Default::default()
    };
    let settings = resolve(&explicit, &env, Some(home.path())).unwrap();
    assert_eq!(settings.warehouse_id, "flag-wh");
    assert_eq!(settings.auth, Auth::Token("dapi-env".into()));
    assert_eq!(
        settings.host, "https://default.cloud.databricks.com",
        "file fills the rest"
    );
    assert!(!format!("{settings:?}").contains("dapi-env"));

    // Host and token in the environment and no profile named: the file is not read (SDK rule).
    let env = env_of(&[
        ("DATABRICKS_HOST", "http://127.0.0.1:8080"),
        ("DATABRICKS_TOKEN", "dapi-env"),
        ("DATABRICKS_WAREHOUSE_ID", "w1"),
    ]);
    let settings = resolve(&Explicit::default(), &env, Some(home.path())).unwrap();
    assert_eq!(
        (settings.host.as_str(), settings.profile),
        ("http://127.0.0.1:8080", None)
    );
}

#[test]
fn clear_errors() {
    let home = home_with(CONFIG);
    let err = |explicit: Explicit, env: &[(&str, &str)]| {
        resolve(&explicit, &env_of(env), Some(home.path()))
            .unwrap_err()
            .to_string()
    };
    let named = |p: &str| Explicit {
        profile: Some(p.into()),
        ..Default::default()
    };
    assert!(
        err(named("nope"), &[]).contains("has no nope profile configured (it has: DEFAULT, prod)")
    );
    assert!(
        err(named("prod"), &[("DATABRICKS_TOKEN", "t")])
            .contains("more than one authentication method")
    );
    let explicit = Explicit {
        profile: Some("prod".into()),
        ..Default::default()
    };
    let env = [("DATABRICKS_TOKEN", "t"), ("DATABRICKS_AUTH_TYPE", "pat")];
    assert_eq!(
        resolve(&explicit, &env_of(&env), Some(home.path()))
            .unwrap()
            .auth,
        Auth::Token("t".into())
    );
    let empty = tempfile::tempdir().unwrap();
    let message = resolve(&Explicit::default(), &env_of(&[]), Some(empty.path()))
        .unwrap_err()
        .to_string();
    assert!(message.contains("no workspace host"), "{message}");
    let env = [
        ("DATABRICKS_HOST", "h.example.com"),
        ("DATABRICKS_TOKEN", "t"),
        ("DATABRICKS_HTTP_PATH", "sql/protocolv1/o/1/0123-cluster"),
    ];
    let message = resolve(&Explicit::default(), &env_of(&env), Some(empty.path()))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("http_path") && message.contains("not a cluster"),
        "{message}"
    );
    let bad = home_with("[a]\nno value here\n");
    let message = resolve(&named("a"), &env_of(&[]), Some(bad.path()))
        .unwrap_err()
        .to_string();
    assert!(
        message.ends_with(".databrickscfg, line 2: expected `key = value`"),
        "{message}"
    );
}

#[test]
fn config_file_from_the_environment_and_settings_default_profile() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("other.cfg");
    std::fs::write(&file, "[__settings__]\ndefault_profile = dev\n\n[dev]\nhost = dev.example.com\ntoken = t\nwarehouse_id = w\n").unwrap();
    let env = env_of(&[("DATABRICKS_CONFIG_FILE", "~/other.cfg")]);
    let settings = resolve(&Explicit::default(), &env, Some(home.path())).unwrap();
    assert_eq!(
        (settings.profile.as_deref(), settings.host.as_str()),
        (Some("dev"), "https://dev.example.com")
    );
}
