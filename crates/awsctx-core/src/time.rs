//! The timestamp formats of the AWS files: `Z` in the caches (`2024-01-01T08:00:00Z`, what
//! every SDK reads), `+00:00` in credential exports (Python's `isoformat()`), and a lenient
//! reader for what other tools have written.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// `YYYY-MM-DDTHH:MM:SSZ`, whole seconds, as botocore's `strftime("%Y-%m-%dT%H:%M:%SZ")`
/// writes the caches. The Rust SDK rejects anything but `Z`, so caches use only this form.
pub fn format_cache(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `YYYY-MM-DDTHH:MM:SS+00:00`, whole seconds, as Python's `isoformat()` of the UTC datetime
/// the AWS CLI prints in `aws configure export-credentials` (its times are whole seconds by
/// then, having gone through a cache file).
pub fn format_export(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Read a timestamp the way botocore reads cache files in practice: RFC 3339 with `Z` or any
/// offset, fractional seconds, a space for `T`, a `UTC`/`GMT` suffix (what plain botocore
/// writes), and a time without an offset (taken as UTC, the only zone these files use).
/// Anything else is `None`.
pub fn parse_lenient(text: &str) -> Option<Timestamp> {
    let mut text = text.trim();
    let mut utc_suffix = false;
    for suffix in ["UTC", "GMT"] {
        if let Some(head) = strip_suffix_ignore_case(text, suffix) {
            text = head.trim_end();
            utc_suffix = true;
            break;
        }
    }
    let text = limit_fraction(text);
    if !utc_suffix && let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    if utc_suffix && let Ok(ts) = format!("{text}Z").parse::<Timestamp>() {
        return Some(ts);
    }
    // No offset at all: the civil parser also accepts (and ignores) an offset, so only get
    // here when the offset-aware parse failed.
    if !utc_suffix && has_offset(&text) {
        return None;
    }
    let civil = text.parse::<DateTime>().ok()?;
    TimeZone::UTC.to_timestamp(civil).ok()
}

/// The instant `millis` milliseconds after the Unix epoch (the SSO portal's `expiration`), or
/// `None` when that is outside the years -9999..=9999.
pub fn from_epoch_millis(millis: i64) -> Option<Timestamp> {
    Timestamp::from_millisecond(millis).ok()
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let split = text.len().checked_sub(suffix.len())?;
    let (head, tail) = (text.get(..split)?, text.get(split..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

/// jiff takes at most nine fractional digits; dateutil takes any number. Drop the excess.
fn limit_fraction(text: &str) -> String {
    let Some(dot) = text.find(['.', ',']) else {
        return text.to_owned();
    };
    let digits = text[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    if digits <= 9 {
        return text.to_owned();
    }
    format!("{}{}", &text[..dot + 10], &text[dot + 1 + digits..])
}

/// Whether the text after the date carries an offset (`Z`, `+hh`, `-hh`).
fn has_offset(text: &str) -> bool {
    let time = text.get(10..).unwrap_or("");
    time.contains(['Z', 'z', '+', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn cache_format_has_whole_seconds_and_z() {
        assert_eq!(format_cache(ts("2024-01-01T08:00:00.999Z")), "2024-01-01T08:00:00Z");
        assert_eq!(format_cache(ts("0999-01-01T08:00:00Z")), "0999-01-01T08:00:00Z");
        // Python's datetime floors sub-second parts, also before the epoch.
        assert_eq!(format_cache(from_epoch_millis(-1).unwrap()), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn export_format_is_python_isoformat_of_utc() {
        assert_eq!(format_export(ts("2024-01-01T12:00:00Z")), "2024-01-01T12:00:00+00:00");
        assert_eq!(format_export(ts("2024-01-01T14:00:00.5+02:00")), "2024-01-01T12:00:00+00:00");
    }

    #[test]
    fn lenient_parse_takes_every_style_the_aws_tools_write() {
        let want = ts("2024-01-01T08:00:00Z");
        for text in [
            "2024-01-01T08:00:00Z",
            "2024-01-01t08:00:00z",
            "2024-01-01T08:00:00+00:00",
            "2024-01-01T08:00:00-00:00",
            "2024-01-01T10:00:00+02:00",
            "2024-01-01T03:00:00-0500",
            "2024-01-01T08:00:00UTC",
            "2024-01-01T08:00:00 UTC",
            "2024-01-01 08:00:00 gmt",
            "2024-01-01 08:00:00+00:00",
            "2024-01-01T08:00:00",
            " 2024-01-01T08:00:00Z\n",
        ] {
            assert_eq!(parse_lenient(text), Some(want), "{text}");
        }
        assert_eq!(
            parse_lenient("2024-01-01T08:00:00.123456Z"),
            Some(ts("2024-01-01T08:00:00.123456Z"))
        );
        assert_eq!(
            parse_lenient("2024-01-01T08:00:00.1234567891234+00:00"),
            Some(ts("2024-01-01T08:00:00.123456789Z"))
        );
        assert_eq!(parse_lenient("2024-01-01T08:00:00.5UTC"), Some(ts("2024-01-01T08:00:00.5Z")));
    }

    #[test]
    fn lenient_parse_rejects_garbage_without_panicking() {
        for text in [
            "",
            "Z",
            "UTC",
            "tomorrow",
            "2024-13-01T08:00:00Z",
            "2024-01-01T08:00:00+99:00",
            "2024-01-01T08:00:00Zjunk",
            "2024-01-01T08:00:00UTC+1",
            "2024-01-01T08:00:00.Z",
            "\u{e9}\u{e9}\u{e9}.",
            ".\u{e9}",
            "1.2345678901\u{e9}",
        ] {
            assert_eq!(parse_lenient(text), None, "{text}");
        }
    }

    #[test]
    fn epoch_millis_out_of_range_is_none() {
        assert_eq!(from_epoch_millis(1_704_110_400_000), Some(ts("2024-01-01T12:00:00Z")));
        assert_eq!(from_epoch_millis(i64::MAX), None);
        assert_eq!(from_epoch_millis(i64::MIN), None);
    }

    proptest::proptest! {
        #[test]
        fn lenient_parse_never_panics(text in ".{0,40}") {
            let _ = parse_lenient(&text);
        }

        #[test]
        fn written_formats_read_back_to_the_whole_second(
            // jiff's last instant is 9999-12-30T22:00:00.999999999Z (it keeps room for offsets).
            secs in -62_135_596_800_i64..=253_402_207_200,
            nanos in 0i32..1_000_000_000,
        ) {
            let ts = Timestamp::new(secs, nanos).unwrap();
            let whole = Timestamp::from_second(secs).unwrap();
            proptest::prop_assert_eq!(parse_lenient(&format_cache(ts)), Some(whole));
            proptest::prop_assert_eq!(parse_lenient(&format_export(ts)), Some(whole));
        }
    }
}
