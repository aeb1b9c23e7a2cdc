//! The settings the binaries read are written down in two places outside the code: the README's configuration table
//! and `cdk/test/binary-variables.json`, against which the CDK app's tests check every variable its containers set.
//! Both must list exactly the variables of [`VARIABLES`]; `STREAMLENS_UPDATE_VARIABLES=1` rewrites the JSON file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use streamlens_domain::config::VARIABLES;

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn names() -> BTreeSet<&'static str> {
    VARIABLES.iter().map(|v| v.name).collect()
}

#[test]
fn the_cdk_contract_file_lists_every_variable() {
    let path = repo_file("cdk/test/binary-variables.json");
    let expected = serde_json::to_string_pretty(&serde_json::json!({
        "comment": "Every environment variable the Streamlens binaries read. Generated from domain/src/config/variables.rs \
                    by `STREAMLENS_UPDATE_VARIABLES=1 cargo test -p streamlens-domain --test variables_drift`; do not edit.",
        "variables": names(),
    }))
    .unwrap()
        + "\n";
    if std::env::var_os("STREAMLENS_UPDATE_VARIABLES").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == expected,
        "{} is out of date: run STREAMLENS_UPDATE_VARIABLES=1 cargo test -p streamlens-domain --test variables_drift",
        path.display()
    );
}

#[test]
fn the_readme_table_lists_every_variable_once() {
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    let rows: Vec<&str> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `STREAMLENS_"))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    let listed: BTreeSet<String> = rows.iter().map(|r| format!("STREAMLENS_{r}")).collect();
    assert_eq!(rows.len(), listed.len(), "a variable has two rows in the README");
    let expected: BTreeSet<String> = names().into_iter().map(str::to_owned).collect();
    let missing: Vec<_> = expected.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&expected).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README configuration table: missing {missing:?}, not read by the binaries {unknown:?}"
    );
}
