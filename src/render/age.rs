//! Ages as kubectl prints them (`HumanDuration`): `45s`, `5m3s`, `3h12m`, `4d6h`, `90d`, `3y45d`.

/// kubectl's `duration.HumanDuration`.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    if secs < 0 {
        return "0s".into();
    }
    let (s, m, h) = (secs, secs / 60, secs / 3600);
    if s < 60 * 2 {
        return format!("{s}s");
    }
    if m < 10 {
        let rem = s % 60;
        return if rem == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{rem}s")
        };
    }
    if m < 60 * 3 {
        return format!("{m}m");
    }
    if h < 8 {
        let rem = m % 60;
        return if rem == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{rem}m")
        };
    }
    if h < 48 {
        return format!("{h}h");
    }
    if h < 24 * 8 {
        let rem = h % 24;
        return if rem == 0 {
            format!("{}d", h / 24)
        } else {
            format!("{}d{rem}h", h / 24)
        };
    }
    if h < 24 * 365 * 2 {
        return format!("{}d", h / 24);
    }
    if h < 24 * 365 * 8 {
        let d = (h / 24) % 365;
        return if d == 0 {
            format!("{}y", h / 24 / 365)
        } else {
            format!("{}y{d}d", h / 24 / 365)
        };
    }
    format!("{}y", h / 24 / 365)
}

/// The age of an RFC 3339 timestamp, or `<unknown>`.
pub fn age_since_rfc3339(ts: &str) -> String {
    match ts.parse::<jiff::Timestamp>() {
        Ok(t) => {
            let secs = jiff::Timestamp::now().as_second() - t.as_second();
            human_duration(secs)
        }
        Err(_) => "<unknown>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(120), "2m");
        assert_eq!(human_duration(303), "5m3s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 12 * 60), "3h12m");
        assert_eq!(human_duration(9 * 3600), "9h");
        assert_eq!(human_duration(4 * 86400 + 6 * 3600), "4d6h");
        assert_eq!(human_duration(90 * 86400), "90d");
        assert_eq!(human_duration(3 * 365 * 86400 + 45 * 86400), "3y45d");
        assert_eq!(human_duration(10 * 365 * 86400), "10y");
        assert_eq!(human_duration(-1), "0s");
        assert_eq!(human_duration(-5), "<invalid>");
        assert_eq!(age_since_rfc3339("garbage"), "<unknown>");
    }
}
