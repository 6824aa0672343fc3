//! A container killed at its memory limit whose runtime was told it may use as much or more:
//! a JVM heap (`-Xmx`, `-XX:MaxRAMPercentage`), Node's `--max-old-space-size`, Go's
//! `GOMEMLIMIT`, .NET's `GCHeapHardLimit`, a server's own memory setting (RabbitMQ's
//! `total_memory_available_override_value` and watermark, Redis' `maxmemory`, MySQL's
//! `innodb_buffer_pool_size`), wherever the spec sets it (env values, a ConfigMap key through
//! `valueFrom` or `envFrom`, a ConfigMap mounted as the server's config file, command and
//! args).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::{Have, Walk, calls_of};
use crate::analyze::ObjectRef;
use crate::analyze::util::{arr, human_quantity, quantity, s};

/// A memory ceiling the runtime is given, as the spec writes it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Setting {
    /// The flag as written (`-Xmx3g`, `--max-old-space-size=4096`, `GOMEMLIMIT=3GiB`).
    pub flag: String,
    /// Where it is set (`env JAVA_OPTS`, `ConfigMap x key JAVA_OPTS (envFrom)`, `args`).
    pub source: String,
    /// The ceiling in bytes, or a share of the container's limit (0..1) for percentages.
    pub amount: Amount,
    /// The ConfigMap and key the value comes from, if any.
    pub config_map: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Amount {
    Bytes(f64),
    Share(f64),
}

static XMX: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?:^|\s|=|')-Xmx(\d+(?:\.\d+)?)([kKmMgGtT]?)\b").ok());
static RAM_PERCENT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)").ok());
static NODE_HEAP: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"--max[-_]old[-_]space[-_]size[= ](\d+)").ok());
static GO_LIMIT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)?\s*$").ok());

/// RabbitMQ: the memory it assumes it has, and the share of it it may use.
static RABBIT_TOTAL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?m)^\s*total_memory_available_override_value\s*=\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B?|[kmgt]b?)?\s*$").ok()
});
static RABBIT_RELATIVE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?m)^\s*vm_memory_high_watermark\.relative\s*=\s*(0?\.\d+|1(?:\.0+)?)\s*$").ok()
});
static RABBIT_ABSOLUTE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?m)^\s*vm_memory_high_watermark\.absolute\s*=\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B?|[kmgt]b?)?\s*$").ok()
});
/// Redis' `maxmemory 2gb` (config file) or `--maxmemory 2gb` (args).
static REDIS_MAX: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?m)(?:^\s*|--)maxmemory[ =]+(\d+)\s*([kmgKMG][bB]?)?\b").ok());
/// MySQL's buffer pool (`innodb_buffer_pool_size = 4G`, `--innodb-buffer-pool-size=4G`).
static INNODB_POOL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?m)innodb[_-]buffer[_-]pool[_-]size\s*=\s*(\d+)\s*([KMGkmg])?\b").ok()
});

/// Bytes of a server config's size: `4GB`, `4GiB`, `4g`, `512M`, or bytes.
fn size(n: &str, u: Option<&str>) -> Option<f64> {
    let n = n.parse::<f64>().ok()?;
    let u = u.unwrap_or("").to_ascii_lowercase();
    let u = u.trim_end_matches('b').trim_end_matches('i');
    Some(n * unit(u))
}

fn unit(u: &str) -> f64 {
    match u.to_ascii_lowercase().as_str() {
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0f64.powi(4),
        _ => 1.0,
    }
}

/// The memory ceilings one value sets (`var` is the variable it is the value of, if any).
pub(super) fn ceilings_in(var: &str, text: &str) -> Vec<(String, Amount)> {
    let mut out = Vec::new();
    if let Some(re) = XMX.as_ref() {
        for c in re.captures_iter(text) {
            if let Ok(n) = c[1].parse::<f64>() {
                out.push((
                    format!("-Xmx{}{}", &c[1], &c[2]),
                    Amount::Bytes(n * unit(&c[2])),
                ));
            }
        }
    }
    if let Some(re) = RAM_PERCENT.as_ref() {
        for c in re.captures_iter(text) {
            if let Ok(n) = c[1].parse::<f64>() {
                out.push((c[0].to_string(), Amount::Share(n / 100.0)));
            }
        }
    }
    if let Some(re) = NODE_HEAP.as_ref() {
        for c in re.captures_iter(text) {
            if let Ok(n) = c[1].parse::<f64>() {
                out.push((c[0].to_string(), Amount::Bytes(n * 1024.0 * 1024.0)));
            }
        }
    }
    if var == "GOMEMLIMIT"
        && let Some(c) = GO_LIMIT.as_ref().and_then(|re| re.captures(text))
        && let Ok(n) = c[1].parse::<f64>()
    {
        let u = c.get(2).map(|m| m.as_str()).unwrap_or("B");
        out.push((
            format!("GOMEMLIMIT={}", text.trim()),
            Amount::Bytes(n * unit(u)),
        ));
    }
    if let Some(c) = RABBIT_ABSOLUTE.as_ref().and_then(|re| re.captures(text))
        && let Some(b) = size(&c[1], c.get(2).map(|m| m.as_str()))
    {
        out.push((c[0].trim().to_string(), Amount::Bytes(b)));
    } else if let Some(c) = RABBIT_TOTAL.as_ref().and_then(|re| re.captures(text))
        && let Some(b) = size(&c[1], c.get(2).map(|m| m.as_str()))
    {
        // The high watermark is a share of that memory (0.4 unless the config says).
        let share = RABBIT_RELATIVE
            .as_ref()
            .and_then(|re| re.captures(text))
            .and_then(|r| r[1].parse::<f64>().ok())
            .unwrap_or(0.4);
        out.push((
            format!("{} (high watermark {share} of it)", c[0].trim()),
            Amount::Bytes(b * share),
        ));
    }
    if let Some(c) = REDIS_MAX.as_ref().and_then(|re| re.captures(text))
        && let Some(b) = size(&c[1], c.get(2).map(|m| m.as_str()))
        && b > 0.0
    {
        out.push((c[0].trim().to_string(), Amount::Bytes(b)));
    }
    if let Some(c) = INNODB_POOL.as_ref().and_then(|re| re.captures(text))
        && let Some(b) = size(&c[1], c.get(2).map(|m| m.as_str()))
    {
        out.push((c[0].trim().to_string(), Amount::Bytes(b)));
    }
    if var.ends_with("GCHeapHardLimit") {
        let hex = text
            .trim()
            .trim_start_matches("0x")
            .trim_start_matches("0X");
        if let Ok(n) = u64::from_str_radix(hex, 16) {
            out.push((format!("{var}={}", text.trim()), Amount::Bytes(n as f64)));
        }
    }
    out
}

/// Every memory ceiling a container spec gives its runtime. `None` when a ConfigMap that may
/// hold one has not been read yet (asked for).
pub(super) fn ceilings(
    w: &mut Walk<'_>,
    pod: &Value,
    spec: &Value,
    ns: &str,
) -> Option<Vec<Setting>> {
    let mut out = Vec::new();
    fn push(
        out: &mut Vec<Setting>,
        var: &str,
        text: &str,
        source: String,
        cm: Option<(&str, &str)>,
    ) {
        for (flag, amount) in ceilings_in(var, text) {
            out.push(Setting {
                flag,
                source: source.clone(),
                amount,
                config_map: cm.map(|(n, k)| (n.to_string(), k.to_string())),
            });
        }
    }
    let mut maps: Vec<(String, Option<(String, String)>)> = Vec::new();
    for e in arr(spec, "/env") {
        let var = s(e, "name");
        if let Some(v) = e.get("value").and_then(Value::as_str) {
            push(&mut out, var, v, format!("env {var}"), None);
        } else if let Some(r) = e.pointer("/valueFrom/configMapKeyRef") {
            maps.push((
                s(r, "name").to_string(),
                Some((var.to_string(), s(r, "key").to_string())),
            ));
        }
    }
    for e in arr(spec, "/envFrom") {
        if let Some(n) = e.pointer("/configMapRef/name").and_then(Value::as_str) {
            maps.push((n.to_string(), None));
        }
    }
    // ConfigMaps the container mounts: a server's config file (`rabbitmq.conf`,
    // `redis.conf`, `my.cnf`, `jvm.options`).
    let mounted: Vec<&str> = arr(spec, "/volumeMounts")
        .iter()
        .map(|m| s(m, "name"))
        .collect();
    let mut files: Vec<String> = Vec::new();
    for v in arr(pod, "/spec/volumes") {
        if !mounted.contains(&s(v, "name")) {
            continue;
        }
        let mut names: Vec<&str> = Vec::new();
        if let Some(n) = v.pointer("/configMap/name").and_then(Value::as_str) {
            names.push(n);
        }
        for src in arr(v, "/projected/sources") {
            if let Some(n) = src.pointer("/configMap/name").and_then(Value::as_str) {
                names.push(n);
            }
        }
        files.extend(names.into_iter().map(str::to_string));
    }
    for field in ["command", "args"] {
        let words: Vec<&str> = arr(spec, &format!("/{field}"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if !words.is_empty() {
            push(&mut out, "", &words.join(" "), field.to_string(), None);
        }
    }
    if (maps.is_empty() && files.is_empty()) || !out.is_empty() {
        return Some(out);
    }
    match w.need_list(
        "configmaps",
        "ConfigMap",
        ns,
        "does the ConfigMap the container's environment comes from set a memory ceiling for its runtime?"
            .to_string(),
    ) {
        Have::Yes => {}
        Have::Asked => return None,
        // The list failed: it is listed as unchecked, and there is nothing more to read.
        Have::No => return Some(out),
    }
    for name in files {
        let Some(data) = w
            .obs
            .view
            .get("ConfigMap", ns, &name)
            .and_then(|cm| cm.get("data"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (k, v) in data {
            if let Some(v) = v.as_str() {
                push(
                    &mut out,
                    "",
                    v,
                    format!("{k} in ConfigMap {name} (mounted)"),
                    Some((&name, k)),
                );
            }
        }
    }
    for (name, keyed) in maps {
        let Some(cm) = w.obs.view.get("ConfigMap", ns, &name) else {
            continue;
        };
        let data = cm.get("data").and_then(Value::as_object);
        let Some(data) = data else { continue };
        match keyed {
            Some((var, key)) => {
                if let Some(v) = data.get(&key).and_then(Value::as_str) {
                    push(
                        &mut out,
                        &var,
                        v,
                        format!("env {var} (ConfigMap {name} key {key})"),
                        Some((&name, &key)),
                    );
                }
            }
            None => {
                for (k, v) in data {
                    if let Some(v) = v.as_str() {
                        push(
                            &mut out,
                            k,
                            v,
                            format!("{k} in ConfigMap {name} (envFrom)"),
                            Some((&name, k)),
                        );
                    }
                }
            }
        }
    }
    Some(out)
}

/// The first ceiling that leaves the runtime no room under the container's limit: a heap at
/// 90% of the limit or more (the runtime needs memory beyond its heap).
pub(super) fn over_limit(settings: &[Setting], limit: &str) -> Option<(Setting, f64)> {
    let limit = quantity(limit)?;
    settings.iter().find_map(|st| {
        let bytes = match st.amount {
            Amount::Bytes(b) => b,
            Amount::Share(p) => p * limit,
        };
        (bytes >= 0.9 * limit).then(|| (st.clone(), bytes))
    })
}

/// Say it: the link, the cause and the fix. Returns false when no ceiling is over the limit.
pub(super) fn explain(
    w: &mut Walk<'_>,
    settings: &[Setting],
    ns: &str,
    who: &str,
    container: &str,
    limit: &str,
    code: i64,
) -> bool {
    let Some((st, bytes)) = over_limit(settings, limit) else {
        return false;
    };
    let heap = human_quantity("memory", bytes);
    let (runtime, knob) = if st.flag.starts_with("-X") {
        ("the JVM heap", "-Xmx")
    } else if st.flag.starts_with("total_memory_available_override_value") {
        (
            "RabbitMQ's memory high watermark",
            "total_memory_available_override_value",
        )
    } else if st.flag.starts_with("vm_memory_high_watermark") {
        (
            "RabbitMQ's memory high watermark",
            "vm_memory_high_watermark.absolute",
        )
    } else if st.flag.contains("maxmemory") {
        ("Redis' dataset", "maxmemory")
    } else if st.flag.contains("buffer") {
        ("InnoDB's buffer pool", "innodb_buffer_pool_size")
    } else if st.flag.starts_with("--max") {
        ("Node's old-space heap", "--max-old-space-size")
    } else if st.flag.starts_with("GOMEMLIMIT") {
        ("Go's soft memory limit", "GOMEMLIMIT")
    } else {
        ("the .NET GC heap", "GCHeapHardLimit")
    };
    let mut calls = Vec::new();
    if let Some((cm, _)) = &st.config_map {
        calls = calls_of(w.obs, "ConfigMap", ns, cm);
        w.object(ObjectRef::new("ConfigMap", Some(ns), cm));
    }
    let relation = if bytes > quantity(limit).unwrap_or(f64::MAX) {
        "more than"
    } else {
        "as much as"
    };
    w.found(
        format!(
            "{} sets {}: {runtime} may grow to {heap}, {relation} the container's {limit} memory limit",
            st.source, st.flag
        ),
        calls,
        format!(
            "{who}: container {container} is OOMKilled (exit code {code}): {} sets {runtime} to {} ({heap}), {relation} its {limit} memory limit, so the kernel kills it before the runtime has to free memory",
            st.source, st.flag
        ),
        format!(
            "Lower {knob} in {} to about three quarters of the limit{}, or raise resources.limits.memory of {who} container {container} above {heap} plus the runtime's overhead.",
            st.config_map
                .as_ref()
                .map(|(cm, key)| format!("ConfigMap {ns}/{cm} key {key}"))
                .unwrap_or_else(|| format!("{who} ({})", st.source)),
            quantity(limit)
                .map(|l| format!(" ({} for {limit})", human_quantity("memory", l * 0.75)))
                .unwrap_or_default()
        ),
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_flags_are_read_in_their_units() {
        let c = ceilings_in("JAVA_OPTS", "-Xms3g -Xmx3g -XX:+UseG1GC");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].0, "-Xmx3g");
        assert_eq!(c[0].1, Amount::Bytes(3.0 * 1024.0 * 1024.0 * 1024.0));
        let c = ceilings_in(
            "NODE_OPTIONS",
            "--enable-source-maps --max-old-space-size=4096",
        );
        assert_eq!(c[0].1, Amount::Bytes(4096.0 * 1024.0 * 1024.0));
        let c = ceilings_in("GOMEMLIMIT", "1500MiB");
        assert_eq!(c[0].1, Amount::Bytes(1500.0 * 1024.0 * 1024.0));
        let c = ceilings_in("JDK_JAVA_OPTIONS", "-XX:MaxRAMPercentage=95.0");
        assert_eq!(c[0].1, Amount::Share(0.95));
        let c = ceilings_in("DOTNET_GCHeapHardLimit", "0x80000000");
        assert_eq!(c[0].1, Amount::Bytes(2147483648.0));
        // Not heap settings: a minimum heap, a Go limit in another variable, a word ending in Xmx.
        assert!(ceilings_in("JAVA_OPTS", "-Xms4g").is_empty());
        assert!(ceilings_in("CACHE_SIZE", "4GiB").is_empty());
        assert!(ceilings_in("X", "foo-Xmx4g").is_empty());
    }

    #[test]
    fn a_server_config_file_sets_its_memory() {
        let gi = 1024.0 * 1024.0 * 1024.0;
        let conf = "listeners.tcp.default = 5672\ntotal_memory_available_override_value = 4GB\n";
        let c = ceilings_in("", conf);
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(
            matches!(c[0].1, Amount::Bytes(b) if (b - 1.6 * gi).abs() < 1.0),
            "{c:?}"
        );
        let conf = "total_memory_available_override_value = 4GB\nvm_memory_high_watermark.relative = 0.6\n";
        assert!(
            matches!(ceilings_in("", conf)[0].1, Amount::Bytes(b) if (b - 2.4 * gi).abs() < 1.0)
        );
        let c = ceilings_in(
            "",
            "bind 0.0.0.0\nmaxmemory 2gb\nmaxmemory-policy allkeys-lru\n",
        );
        assert!(
            matches!(c[0].1, Amount::Bytes(b) if (b - 2.0 * gi).abs() < 1.0),
            "{c:?}"
        );
        assert!(ceilings_in("", "# maxmemory-policy noeviction\n").is_empty());
        let c = ceilings_in("", "[mysqld]\ninnodb_buffer_pool_size = 3G\n");
        assert!(
            matches!(c[0].1, Amount::Bytes(b) if (b - 3.0 * gi).abs() < 1.0),
            "{c:?}"
        );
    }

    #[test]
    fn a_heap_under_the_limit_with_room_is_no_cause() {
        let st = |flag: &str, a: Amount| Setting {
            flag: flag.to_string(),
            source: "env JAVA_OPTS".to_string(),
            amount: a,
            config_map: None,
        };
        let gi = 1024.0 * 1024.0 * 1024.0;
        assert!(over_limit(&[st("-Xmx1g", Amount::Bytes(gi))], "2Gi").is_none());
        assert!(over_limit(&[st("-Xmx1536m", Amount::Bytes(1.5 * gi))], "2Gi").is_none());
        assert!(over_limit(&[st("-Xmx2g", Amount::Bytes(2.0 * gi))], "2Gi").is_some());
        assert!(over_limit(&[st("-Xmx3g", Amount::Bytes(3.0 * gi))], "2048Mi").is_some());
        assert!(over_limit(&[st("p", Amount::Share(0.75))], "2Gi").is_none());
        assert!(over_limit(&[st("p", Amount::Share(0.95))], "2Gi").is_some());
        // No limit: nothing to compare with.
        assert!(over_limit(&[st("-Xmx3g", Amount::Bytes(3.0 * gi))], "").is_none());
    }
}
