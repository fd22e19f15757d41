//! Secrets never go in `rechost.toml` (it is meant to be committed): they stay in
//! connections.toml, ~/.databrickscfg and the AWS credential chain. This scan runs on the
//! parsed document before anything else, so a secret is refused even under a misspelt key.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Key fragments that name a secret (matched case-insensitively).
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "private_key",
    "access_key",
    "api_key",
    "credential",
];

/// What was found: the key (dotted path) and why it is refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Found {
    pub offset: usize,
    pub key: String,
    pub what: &'static str,
}

/// The first secret in the document, if any.
pub fn find(table: &DeTable<'_>) -> Option<Found> {
    walk(table, "")
}

fn walk(table: &DeTable<'_>, prefix: &str) -> Option<Found> {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        let lower = key.get_ref().to_ascii_lowercase();
        if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
            return Some(Found {
                offset: key.span().start,
                key: path,
                what: "names a secret",
            });
        }
        if let Some(found) = in_value(value, &path) {
            return Some(found);
        }
    }
    None
}

fn in_value(value: &Spanned<DeValue<'_>>, path: &str) -> Option<Found> {
    match value.get_ref() {
        DeValue::Table(table) => walk(table, path),
        DeValue::Array(items) => items.iter().find_map(|item| in_value(item, path)),
        DeValue::String(text) => secret_text(text).map(|what| Found {
            offset: value.span().start,
            key: path.to_string(),
            what,
        }),
        _ => None,
    }
}

/// Values that carry a credential whatever their key: a URL with a password, an AWS key id.
fn secret_text(text: &str) -> Option<&'static str> {
    let has_url_password = text.split("://").nth(1).is_some_and(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        authority
            .rsplit_once('@')
            .is_some_and(|(user, _)| user.contains(':'))
    });
    if has_url_password {
        return Some("holds a URL with a password");
    }
    let is_aws_key_id = |word: &str| {
        word.len() == 20
            && (word.starts_with("AKIA") || word.starts_with("ASIA"))
            && word
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    if text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(is_aws_key_id)
    {
        return Some("holds an AWS access key id");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Option<(String, &'static str)> {
        let doc = DeTable::parse(text).unwrap();
        find(doc.get_ref()).map(|f| (f.key, f.what))
    }

    #[test]
    fn secret_keys_and_values_are_found() {
        assert_eq!(
            scan("[warehouse]\nconnection = \"prod\"\npassword = \"x\"\n"),
            Some(("warehouse.password".into(), "names a secret"))
        );
        assert_eq!(
            scan("[domains.a.options]\nAWS_SECRET_ACCESS_KEY = \"x\"\n").map(|f| f.0),
            Some("domains.a.options.AWS_SECRET_ACCESS_KEY".into())
        );
        assert_eq!(
            scan("[output]\ns3_endpoint = \"http://me:pw@127.0.0.1:9000\"\n").map(|f| f.1),
            Some("holds a URL with a password")
        );
        assert_eq!(
            scan("[vars]\nx = [\"AKIAABCDEFGHIJKLMNOP\"]\n").map(|f| f.1),
            Some("holds an AWS access key id")
        );
    }

    #[test]
    fn ordinary_settings_pass() {
        let text = "[output]\npath = \"s3://bucket/recs\"\ns3_endpoint = \"http://127.0.0.1:9000\"\n\
                    [domains.ecommerce]\nplugin = \"e.wasm\"\n[domains.ecommerce.options]\n\
                    category-separator = \"/\"\n";
        assert_eq!(scan(text), None);
    }
}
