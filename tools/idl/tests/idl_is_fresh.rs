//! The committed IDL is what the app and migrations build transactions from: it must
//! match the program source.

#[test]
fn committed_idl_matches_the_program() {
    let fresh = ignis_idl::build_idl_json().expect("IDL builds");
    let path = ignis_idl::committed_idl_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run `cargo idl` and commit the result",
        path.display()
    );
    let idl: serde_json::Value = serde_json::from_str(&fresh).unwrap();
    assert_eq!(idl["address"], "iPbJ57FE6bF5H861Tb5z2WF56k1Jq9pX1BECoAFtPG4");
    assert!(idl["instructions"].as_array().unwrap().len() >= 16);
}
