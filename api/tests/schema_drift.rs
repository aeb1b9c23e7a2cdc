//! `schema.graphql` at the repository root is the schema the gateway serves. This test fails when they differ; run
//! it with `STREAMLENS_UPDATE_SCHEMA=1` to write the file anew (then review the diff).

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

#[test]
fn schema_graphql_matches_the_served_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let served = streamlens_api::graphql::sdl();
    if std::env::var_os("STREAMLENS_UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &served).expect("write schema.graphql");
        return;
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == served,
        "schema.graphql is out of date: run `STREAMLENS_UPDATE_SCHEMA=1 cargo test -p streamlens-api --test schema_drift` \
         and commit the result"
    );
}
