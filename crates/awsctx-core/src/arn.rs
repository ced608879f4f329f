//! ARNs (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`): the one reading of them, for a
//! profile's `role_arn`, STS's assumed-role ARN, the cache's `AssumedRoleUser.Arn` and the
//! ARNs a user types.

/// The partitions awsctx knows the endpoints of.
pub const PARTITIONS: [&str; 3] = ["aws", "aws-us-gov", "aws-cn"];

/// The six fields of an ARN, borrowed from its text. The resource may itself hold `:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// `None` when `text` does not start with `arn:` or has fewer than six fields.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        if parts.next() != Some("arn") {
            return None;
        }
        let (partition, service, region, account, resource) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        Some(Self { partition, service, region, account, resource })
    }

    /// The account field, when it is not empty.
    pub fn account(&self) -> Option<&'a str> {
        Some(self.account).filter(|a| !a.is_empty())
    }

    /// The role an ARN names: `NAME` of `iam … role/[path/]NAME` (a path holds `/`, a name
    /// never does) or of `sts … assumed-role/NAME/SESSION` (the session name may hold `/`).
    pub fn role(&self) -> Option<&'a str> {
        let role = match (self.service, self.resource.split_once('/')) {
            ("iam", Some(("role", rest))) => rest.rsplit('/').next(),
            ("sts", Some(("assumed-role", rest))) => rest.split('/').next(),
            _ => None,
        };
        role.filter(|r| !r.is_empty())
    }
}

/// The account of the ARN `text`, if it is one and names an account.
pub fn account_of(text: &str) -> Option<&str> {
    Arn::parse(text)?.account()
}

/// The role of the ARN `text` (see [`Arn::role`]).
pub fn role_of(text: &str) -> Option<&str> {
    Arn::parse(text)?.role()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_partition_gives_its_account_and_role() {
        for partition in PARTITIONS.into_iter().chain(["aws-iso", "aws-iso-b"]) {
            let text = format!("arn:{partition}:iam::444455556666:role/ReadOnly");
            let arn = Arn::parse(&text).unwrap();
            assert_eq!(arn.partition, partition);
            assert_eq!(arn.account(), Some("444455556666"));
            assert_eq!(arn.role(), Some("ReadOnly"));
        }
    }

    #[test]
    fn role_names_lose_their_path_and_assumed_roles_their_session() {
        assert_eq!(role_of("arn:aws:iam::123456789012:role/team/a/Deploy"), Some("Deploy"));
        assert_eq!(
            role_of(
                "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"
            ),
            Some("AWSReservedSSO_Admin_0123456789abcdef")
        );
        let assumed = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/me@example.com";
        assert_eq!(role_of(assumed), Some("AWSReservedSSO_ReadOnly_0123456789abcdef"));
        assert_eq!(account_of(assumed), Some("111122223333"));
        assert_eq!(role_of("arn:aws:sts::111122223333:assumed-role/Dev/a/b"), Some("Dev"));
    }

    #[test]
    fn what_is_not_a_role_arn_names_no_role() {
        assert_eq!(role_of("arn:aws:iam::123456789012:user/alice"), None);
        assert_eq!(role_of("arn:aws:iam::123456789012:role/"), None);
        assert_eq!(role_of("arn:aws:s3:::bucket/role/x"), None);
        assert_eq!(account_of("arn:aws:s3:::bucket"), None);
        assert_eq!(account_of("nonsense"), None);
        assert_eq!(account_of("arm:aws:iam::123456789012:role/x"), None);
        assert_eq!(Arn::parse("arn:aws:iam::1"), None);
        let arn = Arn::parse("arn:aws:ec2:us-east-1:123456789012:instance/i-1:x").unwrap();
        assert_eq!((arn.region, arn.resource), ("us-east-1", "instance/i-1:x"));
    }
}
