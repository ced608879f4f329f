use super::*;

#[test]
fn accounts_are_labelled_as_the_aws_cli_lists_them() {
    let account = Account {
        account_id: "111".into(),
        account_name: Some("dev".into()),
        email_address: Some("a@b".into()),
    };
    assert_eq!(account_label(&account), "dev, a@b (111)");
}

#[test]
fn values_are_checked() {
    assert!(check_start_url("https://d-1.awsapps.com/start").is_ok());
    assert!(check_start_url("d-1.awsapps.com").is_err());
    assert!(check_start_url("https://x/start #c").is_err());
    assert!(check_scopes("sso:account:access, x").is_ok());
    assert!(check_scopes(" , ").is_err());
    assert_eq!(normalise_scopes("a , b,,c"), "a,b,c");
    assert!(check_output("json").is_ok() && check_output("xml").is_err());
    assert!(check_name("corp", "x").is_ok() && check_name("a b", "x").is_err());
}
